// assetStorage, and routeRegistry's registerAssetRoute and listAssets
// (contributed to the prelude's object), as the aiwebengine seed documents them. Reads are synchronous host
// calls (R6); upsertAsset and deleteAsset record effects applied only
// if the invocation succeeds (R5) and answer the seed's message string at once.
// The rules are checked here so a bad call gets its "Error: ..." string
// synchronously; the host checks capabilities and rules again when applying.
(function (g, api) {
  "use strict";

  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const now = Date.now;
  const ErrorClass = Error;
  const MAX_BYTES = 10 * 1024 * 1024;
  const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
  const TOKEN = "[A-Za-z0-9!#$&^_.+-]+";
  const MIMETYPE = new RegExp(
    "^" + TOKEN + "/" + TOKEN + "(?:\\s*;\\s*" + TOKEN + "=(?:" + TOKEN + '|"[^"\\\\\\r\\n]*"))*$',
  );
  const CONTROL = /[\x00-\x1f\x7f]/;

  function nameProblem(name) {
    if (typeof name !== "string" || name.length < 1 || name.length > 255) {
      return "Error: asset name must be 1-255 characters";
    }
    if (name.indexOf("..") >= 0 || name.indexOf("\\") >= 0) {
      return "Error: asset name must not contain '..' or '\\'";
    }
    if (CONTROL.test(name)) return "Error: asset name must not contain control characters";
    return null;
  }

  function notFound(name) {
    return "Asset '" + name + "' not found";
  }

  // The capabilities the runner put in context.script; when a caller gave none,
  // the host's own check decides.
  function refused(capability, call) {
    const context = api.context();
    const granted = context && context.script && context.script.capabilities;
    if (!Array.isArray(granted) || granted.indexOf(capability) >= 0) return null;
    const e = new ErrorClass(
      "assetStorage." + call + " needs the " + capability +
        " capability; an admin grants it on the script's page in /system/admin/",
    );
    e.name = "CapabilityError";
    return e;
  }

  // This invocation's own writes, so its reads see them: name -> entry or {gone}.
  function pending() {
    const scratch = api.scratch();
    if (!scratch.assets) scratch.assets = Object.create(null);
    return scratch.assets;
  }

  function decodedSize(b64) {
    let padding = 0;
    if (b64.endsWith("==")) padding = 2;
    else if (b64.endsWith("=")) padding = 1;
    return (b64.length / 4) * 3 - padding;
  }

  function isBase64(text) {
    return typeof text === "string" && text.length % 4 === 0 && BASE64.test(text);
  }

  function isMimetype(text) {
    return typeof text === "string" && text.length <= 255 && MIMETYPE.test(text);
  }

  // The reference implementation's upsertAsset takes (name, mimetype, content),
  // and its own scripts call it so; the seed documents (name, content,
  // mimetype). A call is read the reference's way only when it cannot be read
  // the seed's way: its last argument is base64 but no MIME type, and the one
  // before it is a MIME type.
  function referenceOrder(second, third) {
    return isMimetype(second) && !isMimetype(third) && isBase64(third);
  }

  const assetStorage = {
    listAssets() {
      const e = refused("ReadAssets", "listAssets");
      if (e) throw e;
      const json = api.call("assets.list", []);
      const mine = pending();
      const names = Object.keys(mine);
      if (names.length === 0) return json;
      const listed = parse(json);
      const byName = Object.create(null);
      for (let i = 0; i < listed.length; i++) byName[listed[i].name] = listed[i];
      for (let i = 0; i < names.length; i++) {
        const entry = mine[names[i]];
        if (entry.gone) {
          delete byName[names[i]];
        } else if (entry.meta) {
          const before = byName[names[i]];
          const meta = Object.assign({}, entry.meta);
          if (before) meta.createdAt = before.createdAt;
          byName[names[i]] = meta;
        }
      }
      return stringify(Object.keys(byName).sort().map((n) => byName[n]));
    },

    fetchAsset(assetName) {
      const e = refused("ReadAssets", "fetchAsset");
      if (e) throw e;
      const problem = nameProblem(assetName);
      if (problem) return problem;
      const mine = pending();
      const entry = mine[assetName];
      if (entry && entry.gone) return notFound(assetName);
      if (entry && entry.meta) return entry.content;
      const value = api.call("assets.fetch", [assetName]);
      if (value === notFound(assetName)) mine[assetName] = { gone: true, read: true };
      return value;
    },

    upsertAsset(assetName, contentB64, mimetype) {
      const e = refused("WriteAssets", "upsertAsset");
      if (e) throw e;
      if (referenceOrder(contentB64, mimetype)) {
        const content = mimetype;
        mimetype = contentB64;
        contentB64 = content;
      }
      const problem = nameProblem(assetName);
      if (problem) return problem;
      if (!isBase64(contentB64)) {
        return "Error: content is not valid base64";
      }
      const size = decodedSize(contentB64);
      if (size > MAX_BYTES) {
        return "Error: asset is " + size + " bytes; the limit is " + MAX_BYTES + " bytes (10 MB)";
      }
      if (!isMimetype(mimetype)) {
        return "Error: mimetype must be a MIME type such as image/png or text/css";
      }
      api.effect("assets.upsert", { name: assetName, content: contentB64, mimetype: mimetype });
      const at = now();
      pending()[assetName] = {
        content: contentB64,
        meta: { name: assetName, size: size, mimetype: mimetype, createdAt: at, updatedAt: at },
      };
      return "Asset '" + assetName + "' saved successfully";
    },

    deleteAsset(assetName) {
      const e = refused("DeleteAssets", "deleteAsset");
      if (e) throw e;
      const problem = nameProblem(assetName);
      if (problem) return problem;
      // The seed's answer says whether the asset existed: known here when this
      // invocation wrote or read it, else asked of the host (a noted read).
      const mine = pending();
      const entry = mine[assetName];
      if (entry && entry.gone) return notFound(assetName);
      if (!entry && !api.call("assets.exists", [assetName])) {
        mine[assetName] = { gone: true, read: true };
        return notFound(assetName);
      }
      api.effect("assets.delete", { name: assetName });
      mine[assetName] = { gone: true };
      return "Asset '" + assetName + "' deleted successfully";
    },
  };

  api.define("assetStorage", Object.freeze(assetStorage));

  // ---- asset routes: routeRegistry's registerAssetRoute and listAssets -------------

  const routes = () => api.registrations("assets");
  api.claimPaths("assets", (a) => ({ path: a.path, methods: null, what: "an asset route" }));

  // Registered from a handler: the reference implementation keeps such an
  // asset route until the script is reloaded. The host says now whether the
  // platform takes it (a reserved path, a path another script or this one
  // holds, the limits: assets.check_route); it is stored with the script's
  // registrations once the invocation succeeds (an effect, R5), until its
  // next upload (assets_app.routes.routes_later).
  function registerLater(path, assetName) {
    const refused = api.call("assets.check_route", [path, assetName]);
    if (refused) return "Error: " + refused;
    const mine = pendingRoutes();
    if (!mine.some((a) => a.path === path)) {
      mine[mine.length] = { path: path, asset: assetName };
      api.effect("assets.route", { path: path, asset: assetName });
    }
    return "Asset route registered: " + path + " -> " + assetName;
  }

  function pendingRoutes() {
    const scratch = api.scratch();
    return scratch.assetRoutes || (scratch.assetRoutes = []);
  }

  const routeMembers = {
    // Serve the tenant's asset `assetName` at the literal `path` (GET and HEAD).
    registerAssetRoute(path, assetName) {
      const problem = api.checkPath(path);
      if (problem) return api.registrationError(problem);
      const segments = path.split("/");
      for (let i = 0; i < segments.length; i++) {
        if (segments[i] === "*" || segments[i][0] === ":") {
          return api.registrationError("an asset route path is literal, without ':param' or '*': " + path);
        }
      }
      if (typeof assetName !== "string" || assetName.length < 1 || assetName.length > 255 ||
          assetName.indexOf("..") >= 0 || assetName.indexOf("\\") >= 0) {
        return api.registrationError(
          "asset name must be 1-255 characters without '..' or '\\', got " + api.show(assetName));
      }
      const taken = api.pathTaken("assets", path, null);
      if (taken) return api.registrationError(taken);
      if (api.phase() !== "load") return registerLater(path, assetName);
      const list = routes();
      const same = list.find((a) => a.path === path);
      if (same) {
        same.asset = assetName;
      } else {
        list[list.length] = { path: path, asset: assetName };
      }
      return "Asset route registered: " + path + " -> " + assetName;
    },
    // The paths registered with registerAssetRoute, as a JSON string: while
    // the script loads, those so far; in a handler, those the platform serves
    // for it (assets.routes) and this invocation's own.
    listAssets() {
      if (api.phase() === "load") return stringify(routes().map((a) => a.path));
      const out = api.call("assets.routes", []);
      const mine = pendingRoutes();
      for (let i = 0; i < mine.length; i++) {
        if (out.indexOf(mine[i].path) < 0) out[out.length] = mine[i].path;
      }
      return stringify(out);
    },
  };
  api.contribute("routeRegistry", routeMembers);

  // The reference implementation's first asset API (Oct 2025): global
  // upsertAsset (either order, as assetStorage's) and registerPublicAsset.
  api.define("upsertAsset", function upsertAsset(assetName, second, third) {
    return assetStorage.upsertAsset(assetName, second, third);
  });
  api.define("registerPublicAsset", function registerPublicAsset(path, assetName) {
    return routeMembers.registerAssetRoute(path, assetName);
  });
})
