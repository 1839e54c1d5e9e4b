// fetch(url, options) and IOTA's http.get/http.post: one synchronous host call
// each (R6). The response is an object {status, ok, statusText, headers, body,
// url, redirected} with text() and json() returning Promises as in browsers; its
// string form is the seed's JSON string, so the seed's
// `JSON.parse(fetch(url, optionsJson))` works as written, and so does
// `(await fetch(url)).ok`.
(function (g, api) {
  "use strict";

  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const PromiseClass = Promise;

  function optionsOf(options) {
    if (options === undefined || options === null) return {};
    if (typeof options === "string") {
      try {
        options = parse(options);
      } catch (e) {
        throw new TypeError("fetch: options is not valid JSON: " + e.message);
      }
    }
    if (typeof options !== "object" || Array.isArray(options)) {
      throw new TypeError("fetch: options must be an object or a JSON string");
    }
    const out = {};
    for (const key of ["method", "headers", "body", "timeout_ms"]) {
      if (options[key] !== undefined) out[key] = options[key];
    }
    if (out.headers && typeof out.headers === "object") {
      const headers = {};
      for (const name of Object.keys(out.headers)) {
        const value = out.headers[name];
        if (value !== undefined && value !== null) headers[name] = String(value);
      }
      out.headers = headers;
    }
    if (out.body !== undefined && out.body !== null && typeof out.body !== "string") {
      out.body = stringify(out.body);
    }
    return out;
  }

  function responseOf(raw) {
    const response = {
      status: raw.status,
      ok: raw.ok,
      statusText: raw.statusText,
      headers: raw.headers,
      body: raw.body,
      url: raw.url,
      redirected: raw.redirected,
    };
    const hidden = {
      text() {
        return PromiseClass.resolve(raw.body);
      },
      json() {
        try {
          return PromiseClass.resolve(parse(raw.body));
        } catch (e) {
          return PromiseClass.reject(e);
        }
      },
      toString() {
        return stringify({ status: raw.status, ok: raw.ok, headers: raw.headers, body: raw.body });
      },
    };
    for (const name of Object.keys(hidden)) {
      Object.defineProperty(response, name, { value: hidden[name], enumerable: false });
    }
    return response;
  }

  function fetch(url, options) {
    return responseOf(api.call("fetch", [String(url), optionsOf(options)]));
  }

  function withJsonBody(body, options) {
    const opts = optionsOf(options);
    opts.method = "POST";
    const headers = Object.assign({}, opts.headers || {});
    if (body !== undefined && body !== null && typeof body !== "string") {
      body = stringify(body);
      const named = Object.keys(headers).some((k) => k.toLowerCase() === "content-type");
      if (!named) headers["Content-Type"] = "application/json";
    }
    opts.headers = headers;
    if (body !== undefined && body !== null) opts.body = body;
    return opts;
  }

  const http = {
    get(url, options) {
      const opts = optionsOf(options);
      opts.method = "GET";
      return fetch(url, opts);
    },
    post(url, body, options) {
      return fetch(url, withJsonBody(body, options));
    },
  };

  api.define("fetch", fetch);
  api.define("http", Object.freeze(http));
})
