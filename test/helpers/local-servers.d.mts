/** A TCP port nobody listens on right now (within TEST_PORT_RANGE when it is set). */
export declare function freePort(): Promise<number>;
/** uid and gid to run a server as that refuses root: ours, or the `postgres` user's when we are root. */
export declare function postgresUser(): { uid: number; gid: number } | undefined;
