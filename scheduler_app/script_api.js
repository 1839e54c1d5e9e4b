// schedulerService (aiwebengine): jobs that run a handler of this script once
// at a UTC time, every N minutes, or on a cron schedule (the registerCron
// extension, for IOTA's cron scripts).
//
// registerOnce / registerRecurring / registerCron register at load time (top
// level or init()), like routes: the upload stores the set as the script's
// jobs, replacing the previous upload's (clearAll runs before each init(), as
// the seed says), and the scheduler runs them (scheduler_app). Called from a
// handler, a registration (or clearAll) is an effect (R5): it changes the
// script's jobs once the invocation succeeds, until the script's next upload.
//
// Only privileged scripts may schedule. Mistakes in the options return an
// "Error: ..." string naming the option and register nothing, as the other
// registration calls do (listed as warnings by the upload); a cron expression
// or time zone the host cannot read refuses the upload, with the position of
// the problem (scheduler_app.registry).
//
// A job's id is a UUID derived from the tenant, the script and the job's name
// (RFC 4122 version 5), so the string a call returns names the id the stored
// job has, at every load, and re-registering a name keeps its id.
(function (g, api) {
  "use strict";

  const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  const UTC_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?Z$/;
  const MAX_NAME_CHARS = 128;
  const MAX_CRON_CHARS = 120;
  const MAX_INTERVAL_MINUTES = 5256000; // ten years
  const HEADER_JOB = "@cron"; // the name of the job an @cron header declares
  // The namespace of job ids (scheduler_app.registry.JOB_ID_NAMESPACE).
  const NAMESPACE = "5a6b3f0e-8c1d-4f53-9a57-6f0e2d1c4b7a";
  const now = Date.now;

  // ---- ids: UUID v5 (SHA-1 of the namespace and "tenant/script/name") --------------

  // UTF-8, as Python encodes the same text (a lone surrogate as U+FFFD).
  function utf8(text) {
    const out = [];
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x80) {
        out[out.length] = c;
      } else if (c < 0x800) {
        out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      } else if (c < 0x10000) {
        out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      } else {
        out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      }
    }
    return out;
  }

  function sha1(bytes) {
    const length = bytes.length;
    const m = bytes.concat([0x80]);
    while (m.length % 64 !== 56) m[m.length] = 0;
    const bits = length * 8;
    const high = Math.floor(bits / 0x100000000);
    for (let i = 3; i >= 0; i--) m[m.length] = (high >>> (8 * i)) & 0xff;
    for (let i = 3; i >= 0; i--) m[m.length] = (bits >>> (8 * i)) & 0xff;
    const H = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
    const w = new Array(80);
    for (let off = 0; off < m.length; off += 64) {
      for (let t = 0; t < 16; t++) {
        const o = off + 4 * t;
        w[t] = (m[o] << 24) | (m[o + 1] << 16) | (m[o + 2] << 8) | m[o + 3];
      }
      for (let t = 16; t < 80; t++) {
        const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
        w[t] = (x << 1) | (x >>> 31);
      }
      let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4];
      for (let t = 0; t < 80; t++) {
        let f, k;
        if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
        else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
        else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; }
        else { f = b ^ c ^ d; k = 0xca62c1d6; }
        const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) | 0;
        e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = temp;
      }
      H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0;
      H[3] = (H[3] + d) | 0; H[4] = (H[4] + e) | 0;
    }
    const out = [];
    for (let i = 0; i < 5; i++) {
      for (let j = 3; j >= 0; j--) out[out.length] = (H[i] >>> (8 * j)) & 0xff;
    }
    return out;
  }

  // The job's id, or null where the context is not known yet (a call at the
  // top level, before init(context)): the upload then assigns it.
  function jobId(name) {
    const context = api.context();
    if (!context || !context.tenant || !context.script) return null;
    const tenant = String(context.tenant.id);
    const script = String(context.script.id);
    const space = [];
    const hex = NAMESPACE.replace(/-/g, "");
    for (let i = 0; i < 32; i += 2) space[space.length] = parseInt(hex.substr(i, 2), 16);
    const b = sha1(space.concat(utf8(tenant + "/" + script + "/" + name))).slice(0, 16);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let text = "";
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) text += "-";
      text += (b[i] + 0x100).toString(16).slice(1);
    }
    return text;
  }

  // ---- validation --------------------------------------------------------------------

  // The time a UTC ISO-8601 string names (ms), or null.
  function utcTime(text) {
    const m = typeof text === "string" ? UTC_TIME.exec(text) : null;
    if (m === null) return null;
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) return null;
    const d = new Date(ms);
    // Date.parse rolls 2025-02-30 over to March: refuse what does not round-trip.
    if (d.getUTCFullYear() !== +m[1] || d.getUTCMonth() + 1 !== +m[2] ||
        d.getUTCDate() !== +m[3] || d.getUTCHours() !== +m[4] || d.getUTCMinutes() !== +m[5]) {
      return null;
    }
    return ms;
  }

  function iso(ms) {
    return new Date(ms).toISOString().replace(".000Z", "Z");
  }

  function every(minutes) {
    if (minutes === 1) return "every minute";
    if (minutes % 60 === 0) {
      const hours = minutes / 60;
      return hours === 1 ? "every hour" : "every " + hours + " hours";
    }
    return "every " + minutes + " minutes";
  }

  // The options object, its handler and name, or {error}.
  function common(what, options) {
    if (options === null || typeof options !== "object" || Array.isArray(options)) {
      return { error: what + ": options must be an object such as {handler: \"sendReport\", ...}, got " +
        api.show(options) };
    }
    const handler = options.handler;
    if (typeof handler !== "string" || !IDENTIFIER.test(handler) || handler.length > MAX_NAME_CHARS) {
      return { error: what + ": options.handler must be the name of a function in this script, got " +
        shown(handler) };
    }
    let name = options.name;
    if (name === undefined || name === null) {
      name = handler;
    } else if (typeof name !== "string" || name.length === 0 || name.length > MAX_NAME_CHARS) {
      return { error: what + ": options.name must be a non-empty string of at most " +
        MAX_NAME_CHARS + " characters, got " + shown(name) };
    } else if (name[0] === "@") {
      return { error: what + ": options.name must not start with '@' (" + HEADER_JOB +
        " is the job of the script's @cron header), got " + shown(name) };
    }
    if (api.phase() !== "load" && api.handler(handler) === null) {
      return { error: what + ": options.handler '" + handler +
        "' is not a function in this script" };
    }
    return { handler: handler, name: name };
  }

  // Why the script may not schedule, or null. Known while init(context)
  // runs (context.script.privileged); at the top level, before init, the
  // check waits for the end of the load (below); a handler's registrations
  // are checked by the host when it applies them.
  function unprivileged(what) {
    if (api.phase() !== "load") return null;
    const context = api.context();
    if (!context || !context.script) return null;
    if (context.script.privileged === true) return null;
    return what + ": only privileged scripts may schedule jobs, and script '" +
      context.script.id + "' is not privileged; an administrator can mark it " +
      "privileged (admin, Scripts), then upload it again";
  }

  function idText(id) {
    return id === null ? "(job id assigned at upload)" : "(job id " + id + ")";
  }

  // Store a registration (load) or queue it (a handler); return the job id.
  function keep(job) {
    const id = jobId(job.name);
    if (api.phase() === "load") {
      const jobs = api.registrations("jobs");
      for (let i = 0; i < jobs.length; i++) {
        if (jobs[i].name === job.name) {
          jobs[i] = job; // the same name again: it overwrites the job
          return id;
        }
      }
      jobs[jobs.length] = job;
    } else {
      api.effect("scheduler.register", job);
    }
    return id;
  }

  // A value in a message: strings quoted, so "2025-01-01" reads as given.
  function shown(value) {
    return typeof value === "string" ? JSON.stringify(value) : api.show(value);
  }

  function fail(message) {
    return api.registrationError(message);
  }

  function registerOnce(options) {
    const what = "schedulerService.registerOnce";
    const refused = unprivileged(what);
    if (refused) return fail(refused);
    const base = common(what, options);
    if (base.error) return fail(base.error);
    const at = utcTime(options.runAt);
    if (at === null) {
      return fail(what + ": options.runAt must be a UTC ISO-8601 timestamp ending in 'Z', " +
        "such as \"2025-03-01T12:00:00Z\", got " + shown(options.runAt));
    }
    const id = keep({
      name: base.name, handler: base.handler, type: "one-off", runAt: iso(at),
      startAt: null, intervalSeconds: null, cron: "", timezone: "UTC",
    });
    const when = at <= now() ? ", which is past: it runs once, as soon as possible" : "";
    return "Job '" + base.name + "' scheduled to run " + base.handler + " once at " + iso(at) +
      when + " " + idText(id);
  }

  function registerRecurring(options) {
    const what = "schedulerService.registerRecurring";
    const refused = unprivileged(what);
    if (refused) return fail(refused);
    const base = common(what, options);
    if (base.error) return fail(base.error);
    const minutes = options.intervalMinutes;
    if (typeof minutes !== "number" || !(minutes >= 1) || minutes > MAX_INTERVAL_MINUTES) {
      return fail(what + ": options.intervalMinutes must be a number of at least 1 " +
        "(and at most " + MAX_INTERVAL_MINUTES + "), got " + shown(minutes));
    }
    const seconds = Math.round(minutes * 60);
    let start;
    if (options.startAt === undefined || options.startAt === null) {
      // "When omitted the first run happens one interval from now."
      start = Math.ceil((now() + seconds * 1000) / 1000) * 1000;
    } else {
      start = utcTime(options.startAt);
      if (start === null) {
        return fail(what + ": options.startAt must be a UTC ISO-8601 timestamp ending in 'Z', " +
          "such as \"2025-03-01T12:00:00Z\", got " + shown(options.startAt));
      }
    }
    const id = keep({
      name: base.name, handler: base.handler, type: "recurring", runAt: null,
      startAt: iso(start), intervalSeconds: seconds, cron: "", timezone: "UTC",
    });
    let next = start;
    const t = now();
    if (next < t) next += Math.ceil((t - next) / (seconds * 1000)) * seconds * 1000;
    return "Job '" + base.name + "' runs " + base.handler + " " + every(seconds / 60) +
      "; next run at " + iso(next) + " " + idText(id);
  }

  function registerCron(options) {
    const what = "schedulerService.registerCron";
    const refused = unprivileged(what);
    if (refused) return fail(refused);
    const base = common(what, options);
    if (base.error) return fail(base.error);
    const cron = options.cron;
    if (typeof cron !== "string" || cron.trim().length === 0 || cron.length > MAX_CRON_CHARS) {
      return fail(what + ": options.cron must be a cron expression such as \"0 9 * * *\" " +
        "(at most " + MAX_CRON_CHARS + " characters), got " + shown(cron));
    }
    let zone = options.timezone;
    if (zone === undefined || zone === null) {
      zone = "UTC";
    } else if (typeof zone !== "string" || zone.length === 0 || zone.length > 64) {
      return fail(what + ": options.timezone must be an IANA time zone name such as " +
        "\"Europe/Helsinki\", got " + shown(zone));
    }
    // The expression and the zone are checked by the host: at upload, or when
    // the handler's registration is applied.
    const id = keep({
      name: base.name, handler: base.handler, type: "cron", runAt: null, startAt: null,
      intervalSeconds: null, cron: cron.trim(), timezone: zone,
    });
    return "Job '" + base.name + "' runs " + base.handler + " on the cron schedule '" +
      cron.trim() + "' (" + zone + ") " + idText(id);
  }

  function clearAll() {
    if (api.phase() === "load") {
      const jobs = api.registrations("jobs");
      const count = jobs.length;
      jobs.length = 0;
      return "Cleared " + count + " scheduled job" + (count === 1 ? "" : "s");
    }
    api.effect("scheduler.clear", {});
    return "Scheduled jobs of this script cleared (when the handler succeeds)";
  }

  // A job naming a missing function is dropped and reported (a registration
  // that fails registers nothing; the upload lists it as a warning).
  api.checkAtLoad(() => {
    const jobs = api.registrations("jobs");
    const refused = jobs.length > 0 ? unprivileged("schedulerService") : null;
    if (refused) {
      api.registrationError(refused + " (" + jobs.length + " job" +
        (jobs.length === 1 ? "" : "s") + " registered at the top level were dropped)");
      jobs.length = 0;
    }
    for (let i = 0; i < jobs.length; i++) {
      if (api.handler(jobs[i].handler) === null) {
        api.registrationError("scheduled job '" + jobs[i].name + "' names handler '" +
          jobs[i].handler + "', which is not a function in this script");
        jobs.splice(i--, 1);
      }
    }
  });

  api.define("schedulerService", Object.freeze({
    registerOnce: registerOnce,
    registerRecurring: registerRecurring,
    registerCron: registerCron,
    clearAll: clearAll,
  }));
})
