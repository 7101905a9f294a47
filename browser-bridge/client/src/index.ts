// @sithsd/client: SITHS card login and signing from a web page through the local sithsd daemon.
export * from "./client.js";
export * from "./errors.js";
export * from "./extension.js";
export * from "./types.js";
