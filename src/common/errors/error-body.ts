/** The RealWorld error body: every error the API returns has this shape. */
export interface ErrorBody {
  errors: Record<string, string[]>;
}

export function errorBody(key: string, ...messages: string[]): ErrorBody {
  return { errors: { [key]: messages } };
}
