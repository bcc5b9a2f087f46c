/**
 * The host part of a member's default URL.
 *
 * @since 0.1.0
 */

/**
 * The host to put in a default URL: the listen address when it is a specific one, else the host name.
 *
 * @since 0.1.0
 * @category constructors
 */
export const urlHost = (listenHost: string | undefined, hostname: string): string =>
  listenHost === undefined || listenHost === "0.0.0.0" || listenHost === "::" ? hostname : listenHost
