/** Who is making the request, as established by a valid token. */
export interface Viewer {
  id: number;
  /** The raw token the request carried, echoed back in the user response. */
  token: string;
}
