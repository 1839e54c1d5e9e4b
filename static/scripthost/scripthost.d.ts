// Type definitions for scripthost scripts: every global the platform gives a
// script, beyond JavaScript's own (use it with `"lib": ["es2023"]`, no DOM).
//
//   /// <reference path="scripthost.d.ts" />
//
// Served at /static/scripthost/scripthost.d.ts; see docs/scripting-guide.md.
// tests/scripts_app/test_type_definitions.py keeps this file true: every global
// and member a script can reach is declared here, and nothing declared here is
// missing from a real run. The admin's editor completes from it too
// (scripts_app/typedefs.py reads it), so keep its layout: top-level
// `declare` lines, interfaces and classes with members two spaces in, one
// member per line, and a `/** ... */` comment just above what it documents.

// ---- shared shapes -----------------------------------------------------------------

type HttpMethod = "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS";

/** What a handler returns: a ResponseBuilder value, {status, body, headers}, or a plain value. */
interface ScriptResponse {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  contentType?: string;
}

interface RequestAuth {
  isAuthenticated: boolean;
  userId?: string;
  userName?: string;
  userEmail?: string;
  isAdmin?: boolean;
}

/** The request of an HTTP invocation (also readable on the context itself). */
interface ScriptRequest {
  method: HttpMethod;
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
  headers: Record<string, string>;
  body: string | null;
  params: Record<string, string>;
  auth: RequestAuth;
}

/** The one argument of every handler, and the global `context` during an invocation. */
interface InvocationContext {
  /** {method, path, query, form, headers, body, params, auth}. */
  request: ScriptRequest;
  /** A manual run's JSON args, a GraphQL field's arguments; {} for HTTP calls. */
  args: any;
  /** "http", "manual", "init", "job", "message", ... */
  kind: string;
  /** {requestId, route, baseUrl}, and what the kind adds (schedule, predix, ...). */
  meta: Record<string, any>;
  /** {id, name}: the tenant's slug and name. */
  tenant: { id: string; name: string };
  /** The signed-in caller {id, email, name, permissions}, or null. */
  user: { id: string; email: string; name: string; permissions: string[] } | null;
  /** {id, name, type, capabilities}. */
  script: { id: string; name: string; type: string; capabilities?: string[] };
  /** {id, triggeredBy}: this invocation's id and what started it. */
  execution: { id: string; triggeredBy: string };
}

// ---- routes and responses (aiwebengine) ----------------------------------------------

/** Routes, asset routes and streams this script serves; register at load time. */
declare const routeRegistry: RouteRegistry;
interface RouteRegistry {
  /** Serve `path` (":name" segments, a trailing "*") with the handler; returns a message or "Error: ...". */
  registerRoute(path: string, handlerName: string, method?: HttpMethod): string;
  /** The routes this script registered, as a JSON string. */
  listRoutes(): string;
  /** Serve a stored asset at `path`. */
  registerAssetRoute(path: string, assetName: string): string;
  /** The asset routes of this script, as a JSON string. */
  listAssets(): string;
  /** A Server-Sent Events stream at `path`; the optional handler customizes each connection. */
  registerStreamRoute(path: string, customizerHandlerName?: string): string;
  /** The streams of this script, as a JSON string. */
  listStreams(): string;
  /** Send `data` to every client of the stream (sent if the invocation succeeds). */
  sendStreamMessage(path: string, data: any): string;
  /** Send `data` to the clients whose connection metadata matches `filterJson`. */
  sendStreamMessageFiltered(path: string, data: any, filterJson: string | object): string;
}

/** Responses with a status and content type. */
declare const ResponseBuilder: ResponseBuilderApi;
interface ResponseBuilderApi {
  /** A JSON body (application/json). */
  json(data: any, status?: number): ScriptResponse;
  /** A text/plain body. */
  text(text: string, status?: number): ScriptResponse;
  /** A text/html body. */
  html(html: string, status?: number): ScriptResponse;
  /** An error answer {error: message} with the status. */
  error(status: number, message: string): ScriptResponse;
  /** 204 No Content. */
  noContent(): ScriptResponse;
  /** A redirect to `url` (302 unless told). */
  redirect(url: string, status?: number): ScriptResponse;
}

/** Validation helpers; each throws an Error with a clear message. */
declare const validate: ValidateApi;
interface ValidateApi {
  /** The context's query parameter; throws when it is missing. */
  requireQueryParam(context: InvocationContext, name: string): string;
  /** The context's path parameter; throws when it is missing. */
  requirePathParam(context: InvocationContext, name: string): string;
  /** The value if it is a string within the options' bounds and pattern; else throws. */
  validateString(value: any, options?: { minLength?: number; maxLength?: number; pattern?: RegExp | string }): string;
  /** The value as a number within the options' bounds; else throws. */
  validateNumber(value: any, options?: { min?: number; max?: number }): number;
}

/** The current request's query parameter; throws when it is missing. */
declare function requireQueryParam(name: string): string;
/** The current request's path parameter; throws when it is missing. */
declare function requirePathParam(name: string): string;
/** The query parameter, or `defaultValue` when it is missing. */
declare function optionalQueryParam(name: string, defaultValue?: string): string | undefined;
/** The value if it is a string of minLength to maxLength characters; else throws. */
declare function validateString(value: any, minLength?: number, maxLength?: number): string;
/** The value as a number from min to max; else throws. */
declare function validateNumber(value: any, min?: number, max?: number): number;
/** The reference implementation's first API: routeRegistry.registerRoute with the handler's name or the function itself (method GET unless given). */
declare function register(path: string, handler: string | ((context: InvocationContext) => any), method?: string): string;

// ---- console and logs -----------------------------------------------------------------

/** Logs kept with the execution; a last object argument is structured fields (IOTA). */
declare const console: ScriptConsole;
/** The reference implementation's first API: console.log(message). */
declare function writeLog(message: string): void;
/** The reference implementation's first API: this script's stored log messages, newest first. */
declare function listLogs(): string[];
/** The reference implementation's first API: the stored log messages of script `uri`, newest first. */
declare function listLogsForUri(uri: string): string[];
interface ScriptConsole {
  /** Log at LOG level. */
  log(...values: any[]): void;
  /** Log at INFO level. */
  info(...values: any[]): void;
  /** Log at WARN level. */
  warn(...values: any[]): void;
  /** Log at ERROR level. */
  error(...values: any[]): void;
  /** Log at DEBUG level. */
  debug(...values: any[]): void;
  /** The tenant's stored log entries, a JSON string of [{message, level, timestamp}]. */
  listLogs(): string;
  /** The stored log entries of one script (its uri), as a JSON string. */
  listLogsForUri(uri: string): string;
  /** Remove old log entries; returns a report. */
  pruneLogs(): string;
}

// ---- the invocation's data (IOTA, Predix) -----------------------------------------------

/** IOTA: the context of the running invocation; null at the top level. */
declare var context: InvocationContext | null;
/** Predix: the entity the request is about (null outside a Predix body). */
declare var o: any;
/** Predix: the trigger's or endpoint's parameters. */
declare var parameters: Record<string, any>;
/** Predix: the stored entity before the request (null when new). */
declare var current: any;

// ---- storage -------------------------------------------------------------------------

/** Web-storage-like store shared by the tenant's scripts (strings). */
declare const sharedStorage: ScriptStorage;
/** Web-storage-like store of the signed-in user (strings). */
declare const personalStorage: ScriptStorage;
/** The reference implementation's first name for sharedStorage: the same object. */
declare const scriptStorage: ScriptStorage;
interface ScriptStorage {
  /** The stored string, or null. */
  getItem(key: string): string | null;
  /** Store a string (written if the invocation succeeds). */
  setItem(key: string, value: string): void;
  /** Remove the key. */
  removeItem(key: string): void;
  /** Remove every key of this store. */
  clear(): void;
}

/** IOTA: the tenant's key-value store, with an optional time to live. */
declare const storage: TenantStorage;
interface TenantStorage {
  /** The stored value, or null (also after its TTL). */
  get(key: string): any;
  /** Store any JSON value, for `ttlSeconds` if given. */
  set(key: string, value: any, ttlSeconds?: number): any;
  /** Remove the key. */
  delete(key: string): any;
}

/** The reference implementation's first API: assetStorage.upsertAsset. */
declare function upsertAsset(name: string, contentBase64: string, mimetype: string): string;
/** The reference implementation's first API: routeRegistry.registerAssetRoute. */
declare function registerPublicAsset(path: string, assetName: string): string;
/** The tenant's assets (needs the ReadAssets/WriteAssets/DeleteAssets capabilities). */
declare const assetStorage: AssetStorage;
interface AssetStorage {
  /** The asset names, as a JSON string. */
  listAssets(): string;
  /** The asset's content, base64, or "Error: ..."; */
  fetchAsset(name: string): string;
  /** Create or replace an asset from base64 content (the reference's (name, mimetype, contentBase64) order is read too). */
  upsertAsset(name: string, contentBase64: string, mimetype: string): string;
  /** Remove an asset. */
  deleteAsset(name: string): string;
}

// ---- documents (IOTA) ------------------------------------------------------------------

/** IOTA: the tenant's document store. */
declare const db: DocumentDb;
interface DocumentDb {
  /** Not available yet: throws, naming findOne/findMany. */
  query(sql: string, params?: any[]): never;
  /** The first object whose fields equal `where`'s, or null. */
  findOne(collection: string, where?: object): any;
  /** The matching objects (at most 1,000). */
  findMany(collection: string, where?: object, options?: { limit?: number; offset?: number }): any[];
  /** Store a new object (an id is made when missing). */
  insert(collection: string, obj: object): any;
  /** Merge `changes` into the object with that id. */
  update(collection: string, id: string, changes: object): any;
  /** Remove the object; false when there was none. */
  delete(collection: string, id: string): boolean;
}

/** IOTA: services.<collection> over the document store, and notifications. */
declare const services: Services;
interface Services {
  /** E-mail, sent if the invocation succeeds. */
  notifications: Notifications;
  [collection: string]: CollectionService | Notifications;
}
interface Notifications {
  /** Queue an e-mail {to, subject, body}; returns {queued, to}. */
  sendEmail(message: { to: string | string[]; subject: string; body: string }): { queued: boolean; to: string[] };
}
interface CollectionService {
  list(options?: { filters?: { field: string; operator: string; value: any }[]; limit?: number; offset?: number }): any[];
  get(id: string): any;
  create(obj: object): any;
  update(id: string, changes: object): any;
  delete(id: string): boolean;
}

// ---- outbound HTTP -------------------------------------------------------------------

interface FetchResponse {
  status: number;
  ok: boolean;
  statusText: string;
  headers: Record<string, string>;
  body: string;
  url: string;
  redirected: boolean;
  text(): Promise<string>;
  json(): Promise<any>;
}

/** An outbound HTTP request (secrets by {{secret:name}} in headers); a synchronous host call. */
declare function fetch(url: string, options?: string | { method?: string; headers?: Record<string, string>; body?: string; timeout_ms?: number }): FetchResponse;

/** IOTA: outbound HTTP. */
declare const http: HttpClient;
interface HttpClient {
  /** GET `url`. */
  get(url: string, options?: object): FetchResponse;
  /** POST `body` (JSON unless a string) to `url`. */
  post(url: string, body?: any, options?: object): FetchResponse;
}

// ---- messages between scripts ---------------------------------------------------------

/** aiwebengine: messages between the tenant's scripts. */
/** The reference implementation's first API: routeRegistry.registerStreamRoute(path). */
declare function registerWebStream(path: string): string;
/** The reference implementation's first API: send to each of this script's streams, or routeRegistry.sendStreamMessage(path, data). */
declare function sendStreamMessage(pathOrData: any, data?: any): string;
declare const dispatcher: Dispatcher;
interface Dispatcher {
  /** Run the handler for every message of this type. */
  registerListener(messageType: string, handlerName: string): string;
  /** Deliver a message (a JSON string) to every listener; returns statistics. */
  sendMessage(messageType: string, messageData: string): string;
}

/** IOTA: events between the tenant's scripts. */
declare const events: ScriptEvents;
interface ScriptEvents {
  /** Deliver `data` to every subscriber of `type`. */
  publish(type: string, data: any): any;
  /** Run the handler for every event of this type. */
  subscribe(type: string, handlerName: string): string;
}

// ---- GraphQL -------------------------------------------------------------------------

/** GraphQL operations this script serves, and queries against the tenant's schema. */
/** The reference implementation's first API: graphQLRegistry.registerQuery(..., "external"). */
declare function registerGraphQLQuery(name: string, sdl: string, resolverName: string): string;
/** The reference implementation's first API: graphQLRegistry.registerMutation(..., "external"). */
declare function registerGraphQLMutation(name: string, sdl: string, resolverName: string): string;
/** The reference implementation's first API: graphQLRegistry.registerSubscription(..., "external"). */
declare function registerGraphQLSubscription(name: string, sdl: string, resolverName: string): string;
declare const graphQLRegistry: GraphQLRegistry;
interface GraphQLRegistry {
  /** Serve a query field: its SDL and the resolver handler. */
  registerQuery(name: string, sdl: string, resolverName: string, visibility?: "internal" | "engine" | "external"): string;
  /** Serve a mutation field. */
  registerMutation(name: string, sdl: string, resolverName: string, visibility?: "internal" | "engine" | "external"): string;
  /** Serve a subscription field. */
  registerSubscription(name: string, sdl: string, resolverName: string, visibility?: "internal" | "engine" | "external"): string;
  /** Run a query; returns the JSON string of {data, errors}. */
  executeGraphQL(query: string, variables?: string | object): string;
  /** Send a message to every subscriber of the subscription. */
  sendSubscriptionMessage(name: string, dataJson: string | object): string;
  /** Send a message to the subscribers whose arguments match the filter. */
  sendSubscriptionMessageFiltered(name: string, dataJson: string | object, filterJson: string | object): string;
}

// ---- scheduling -----------------------------------------------------------------------

/** Jobs of a privileged script; register at load time. */
declare const schedulerService: SchedulerService;
interface SchedulerService {
  /** Run the handler once at `runAt` (UTC ISO-8601 ending in Z). */
  registerOnce(options: { handler: string; runAt: string; name?: string }): string;
  /** Run the handler every `intervalMinutes`. */
  registerRecurring(options: { handler: string; intervalMinutes: number; startAt?: string; name?: string }): string;
  /** Run the handler on a five-field cron schedule in a time zone. */
  registerCron(options: { handler: string; cron: string; timezone?: string; name?: string }): string;
  /** Remove the jobs this script registered. */
  clearAll(): string;
}

// ---- conversions and utilities ------------------------------------------------------------

/** Conversions done by the host. */
declare const convert: Converter;
interface Converter {
  /** Markdown to HTML; problems come back as a string starting with "Error:". */
  markdown_to_html(markdown: string): string;
}

/** IOTA utilities: ids, dates, digests. */
declare const utils: Utils;
interface Utils {
  /** A random (v4) UUID. */
  uuid(): string;
  /** Dates as ISO strings. */
  date: UtilsDate;
  /** Digests. */
  crypto: UtilsCrypto;
}
interface UtilsDate {
  /** Now, as an ISO-8601 string. */
  now(): string;
  /** Format a date with a pattern (YYYY-MM-DD HH:mm:ss and the like). */
  format(value: string | number | Date, pattern?: string): string;
  /** The date `days` later (earlier when negative), as an ISO string. */
  addDays(value: string | number | Date, days: number): string;
}
interface UtilsCrypto {
  /** The hex digest of a string or bytes: sha256 (default), sha1 or md5. */
  hash(data: string | ArrayBufferView | ArrayBuffer, algorithm?: "sha256" | "sha1" | "md5"): string;
}

/** Random bytes and UUIDs, as in browsers. */
declare const crypto: ScriptCrypto;
interface ScriptCrypto {
  /** Fill an integer typed array with random values; returns it. */
  getRandomValues<T extends ArrayBufferView>(array: T): T;
  /** A random (v4) UUID. */
  randomUUID(): string;
}

/** Base64 of a binary string. */
declare function btoa(data: string): string;
/** The binary string of base64. */
declare function atob(data: string): string;

/** Query strings, as in browsers. */
declare class URLSearchParams {
  constructor(init?: string | Record<string, string> | [string, string][]);
  readonly size: number;
  append(name: string, value: string): void;
  delete(name: string, value?: string): void;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string, value?: string): boolean;
  set(name: string, value: string): void;
  sort(): void;
  forEach(callback: (value: string, key: string, parent: URLSearchParams) => void): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  toString(): string;
}

/** UTF-8 encoding, as in browsers. */
declare class TextEncoder {
  constructor();
  readonly encoding: string;
  encode(input?: string): Uint8Array;
  encodeInto(input: string, destination: Uint8Array): { read: number; written: number };
}

/** UTF-8 decoding, as in browsers. */
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}

/** The errors the web APIs throw. */
declare class DOMException extends Error {
  constructor(message?: string, name?: string);
  readonly code: number;
}

// ---- Predix ----------------------------------------------------------------------------

interface StoreAnswer {
  statusCode: number;
  body: any;
}

/** Predix: the Scripting Engine's SDK. */
declare const $: PredixSdk;
interface PredixSdk {
  /** Pre-processing: fail the request with 422 and the message(s); nothing is written. */
  cancelRequest(message: string | string[]): void;
  /** The differences as deep-diff gives them, or undefined when equal. */
  deepDiff(lhs: any, rhs: any): any[] | undefined;
  /** Read the store: {statusCode, body}. */
  get(uri: string): StoreAnswer;
  /** A store POST, as a client's. */
  post(uri: string, body: any): StoreAnswer;
  /** A store PUT. */
  put(uri: string, body: any): StoreAnswer;
  /** A store PATCH. */
  patch(uri: string, body: any): StoreAnswer;
  /** A store DELETE. */
  del(uri: string): StoreAnswer;
  /** The value at ".a.b[0]" in obj, or undefined. */
  getPropertyValue(obj: any, path: string): any;
  /** Add to the request's system message. */
  log(message: any): void;
  /** Apply a JSON Patch to obj in place; returns it. */
  patchObject(obj: any, ops: object[]): any;
  /** Pre-processing of POST/PUT: leave this entity out of the write. */
  removeEntity(message?: string): void;
  /** Pre-processing of POST/PUT: write this entity instead. */
  updateEntity(entity: object): void;
  /** Pre-processing of PATCH: apply these operations instead. */
  updateBody(ops: object[]): void;
  /** A custom endpoint's answer. */
  setResponse(response: { status?: number; body?: any }): void;
  /** RFC 4122 ids. */
  uuid: PredixUuid;
}
interface PredixUuid {
  /** A time-based (v1) UUID. */
  v1(): string;
  /** A random (v4) UUID. */
  v4(): string;
}
