// IOTA's `db` and `services` over the document store (documents_app).
//
// A collection ("clients") holds JSON objects with an `id`; each is the
// store's entity /clients/<id>. Reads are synchronous host calls (R6);
// inserts, updates and deletes are effects applied after the invocation
// succeeds, in its one transaction (R5), and later reads in the same
// invocation see them. services.notifications.sendEmail is an effect too:
// the mail leaves only if the invocation succeeds.
(function (g, api) {
  "use strict";

  const uuid = api.need("uuid");
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const isArray = Array.isArray;
  const keys = Object.keys;
  const create = Object.create;
  const freeze = Object.freeze;
  const COLLECTION = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
  const ID = /^[^/?#\s]{1,400}$/;
  const OPERATORS = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "contains"];
  const MOST = 1000;

  function show(value) {
    try {
      const text = stringify(value);
      return text === undefined ? String(value) : text;
    } catch (e) {
      return String(value);
    }
  }

  function clone(value, what) {
    let json;
    try {
      json = stringify(value);
    } catch (e) {
      throw new TypeError(what + " must be JSON data: " + e.message);
    }
    if (json === undefined) throw new TypeError(what + " must be JSON data, got " + show(value));
    return parse(json);
  }

  function collectionName(name, who) {
    if (typeof name !== "string" || !COLLECTION.test(name)) {
      throw new TypeError(who + ": the collection must be a name such as 'clients', got " + show(name));
    }
    return name;
  }

  function idOf(id, who) {
    if (typeof id === "number" && Number.isFinite(id)) id = String(id);
    if (typeof id !== "string" || !ID.test(id)) {
      throw new TypeError(who + ": the id must be a non-empty string or a number, got " + show(id));
    }
    return id;
  }

  function duringCall(who) {
    if (api.phase() !== "invoke") throw new Error(who + " can only be called while handling a call, not at load time");
  }

  // ---- read-your-writes ----------------------------------------------------------

  // This invocation's writes to a collection: {id: object | null (deleted)}.
  function overlay(collection) {
    const scratch = api.scratch();
    const all = scratch.documents || (scratch.documents = create(null));
    return all[collection] || (all[collection] = create(null));
  }

  function fieldValue(obj, field) {
    let value = obj;
    for (const part of String(field).split(".")) {
      if (value === null || typeof value !== "object") return undefined;
      value = value[part];
    }
    return value;
  }

  function same(a, b) {
    return stringify(a) === stringify(b);
  }

  function matches(obj, filters) {
    for (const f of filters) {
      const v = fieldValue(obj, f.field);
      const w = f.value;
      switch (f.operator) {
        case "eq": if (!same(v, w)) return false; break;
        case "ne": if (same(v, w)) return false; break;
        case "lt": if (!(v !== undefined && v !== null && v < w)) return false; break;
        case "lte": if (!(v !== undefined && v !== null && v <= w)) return false; break;
        case "gt": if (!(v !== undefined && v !== null && v > w)) return false; break;
        case "gte": if (!(v !== undefined && v !== null && v >= w)) return false; break;
        case "in": if (!w.some((x) => same(v, x))) return false; break;
        case "contains":
          if (isArray(v)) { if (!v.some((x) => same(x, w))) return false; }
          else if (typeof v === "string") { if (v.indexOf(String(w)) < 0) return false; }
          else return false;
          break;
      }
    }
    return true;
  }

  function checkFilters(filters, who) {
    if (filters === undefined || filters === null) return [];
    if (!isArray(filters)) throw new TypeError(who + ": filters must be an array of {field, operator, value}");
    return filters.map((f, i) => {
      if (f === null || typeof f !== "object" || typeof f.field !== "string" || !f.field) {
        throw new TypeError(who + ": filter " + i + " needs a field name, got " + show(f));
      }
      const operator = f.operator === undefined ? "eq" : f.operator;
      if (OPERATORS.indexOf(operator) < 0) {
        throw new TypeError(who + ": filter " + i + " has operator " + show(operator) + "; use one of " + OPERATORS.join(", "));
      }
      if (operator === "in" && !isArray(f.value)) {
        throw new TypeError(who + ": filter " + i + " ('in') needs an array value");
      }
      return { field: f.field, operator: operator, value: clone(f.value === undefined ? null : f.value, who + ": filter " + i + "'s value") };
    });
  }

  function whereFilters(where, who) {
    if (where === undefined || where === null) return [];
    if (typeof where !== "object" || isArray(where)) {
      throw new TypeError(who + ": where must be an object of field: value, got " + show(where));
    }
    return keys(where).map((field) => ({ field: field, operator: "eq", value: clone(where[field], who + ": where." + field) }));
  }

  function limitOf(limit, who) {
    if (limit === undefined || limit === null) return MOST;
    if (typeof limit !== "number" || limit % 1 !== 0 || limit < 1 || limit > MOST) {
      throw new RangeError(who + ": limit must be an integer from 1 to " + MOST + ", got " + show(limit));
    }
    return limit;
  }

  function find(collection, filters, limit, offset) {
    const mine = overlay(collection);
    const written = keys(mine);
    const found = api.call("store.find", [collection, filters, limit + written.length, offset || 0]);
    const out = [];
    for (const obj of found) {
      const id = obj && obj.id !== undefined ? String(obj.id) : null;
      if (id !== null && id in mine) continue; // this invocation changed it: below
      out[out.length] = obj;
    }
    for (const id of written) {
      const obj = mine[id];
      if (obj !== null && matches(obj, filters)) out[out.length] = clone(obj, "");
    }
    return out.slice(0, limit);
  }

  function getOne(collection, id) {
    const mine = overlay(collection);
    if (id in mine) return mine[id] === null ? null : clone(mine[id], "");
    const found = api.call("store.find", [collection, [{ field: "id", operator: "eq", value: id }], 1, 0]);
    if (found.length) return found[0];
    // Entities written through the REST API may carry no "id" member.
    const answer = api.call("store.get", ["/" + collection + "/" + id]);
    return answer.statusCode === 200 && answer.body.length ? answer.body[0] : null;
  }

  function insert(collection, obj, who) {
    duringCall(who);
    if (obj === null || typeof obj !== "object" || isArray(obj)) {
      throw new TypeError(who + ": takes an object, got " + show(obj));
    }
    const entity = clone(obj, who + "'s object");
    const id = entity.id === undefined || entity.id === null ? uuid.v4() : idOf(entity.id, who);
    if (entity.id === undefined || entity.id === null) entity.id = id;
    entity.uri = "/" + collection + "/" + id;
    // Only this invocation's own writes are checked here: whether another
    // one stored the id meanwhile is known when the writes are applied.
    const mine = overlay(collection);
    if (id in mine && mine[id] !== null) throw new Error(who + ": " + collection + " '" + id + "' already exists");
    overlay(collection)[id] = entity;
    api.effect("store.insert", { collection: collection, id: id, entity: entity });
    return clone(entity, "");
  }

  function update(collection, id, changes, who) {
    duringCall(who);
    id = idOf(id, who);
    if (changes === null || typeof changes !== "object" || isArray(changes)) {
      throw new TypeError(who + ": the changes must be an object of field: value, got " + show(changes));
    }
    const old = getOne(collection, id);
    if (old === null) throw new Error(who + ": no " + collection + " with id '" + id + "'");
    const patch = clone(changes, who + "'s changes");
    delete patch.id;
    delete patch.uri;
    const merged = clone(old, "");
    for (const k of keys(patch)) merged[k] = patch[k];
    overlay(collection)[id] = merged;
    api.effect("store.update", { collection: collection, id: id, entity: merged });
    return clone(merged, "");
  }

  function remove(collection, id, who) {
    duringCall(who);
    id = idOf(id, who);
    if (getOne(collection, id) === null) return false;
    overlay(collection)[id] = null;
    api.effect("store.delete", { collection: collection, id: id });
    return true;
  }

  // ---- db -------------------------------------------------------------------------

  const db = freeze({
    query(sql) {
      throw new Error(
        "db.query(sql, params) is not available yet: use db.findOne(collection, where) or " +
          "db.findMany(collection, where), or services.<collection>.list({filters}) for comparisons",
      );
    },
    findOne(collection, where) {
      const who = "db.findOne";
      const found = find(collectionName(collection, who), whereFilters(where, who), 1, 0);
      return found.length ? found[0] : null;
    },
    findMany(collection, where, options) {
      const who = "db.findMany";
      const o = options || {};
      return find(collectionName(collection, who), whereFilters(where, who), limitOf(o.limit, who), o.offset);
    },
    insert(collection, obj) {
      return insert(collectionName(collection, "db.insert"), obj, "db.insert");
    },
    update(collection, id, changes) {
      return update(collectionName(collection, "db.update"), id, changes, "db.update");
    },
    delete(collection, id) {
      return remove(collectionName(collection, "db.delete"), id, "db.delete");
    },
  });

  // ---- services ---------------------------------------------------------------------

  function collectionService(collection) {
    const name = "services." + collection;
    return freeze({
      list(options) {
        const who = name + ".list";
        const o = options || {};
        if (typeof o !== "object" || isArray(o)) throw new TypeError(who + ": takes {filters, limit, offset}");
        return find(collection, checkFilters(o.filters, who), limitOf(o.limit, who), o.offset);
      },
      get(id) {
        return getOne(collection, idOf(id, name + ".get"));
      },
      create(obj) {
        return insert(collection, obj, name + ".create");
      },
      update(id, changes) {
        return update(collection, id, changes, name + ".update");
      },
      delete(id) {
        return remove(collection, id, name + ".delete");
      },
    });
  }

  const notifications = freeze({
    sendEmail(message) {
      const who = "services.notifications.sendEmail";
      duringCall(who);
      const m = message || {};
      const to = isArray(m.to) ? m.to : [m.to];
      for (const address of to) {
        if (typeof address !== "string" || !/^[^@\s]+@[^@\s]+$/.test(address)) {
          throw new TypeError(who + ": 'to' must be an e-mail address (or an array of them), got " + show(m.to));
        }
      }
      if (typeof m.subject !== "string" || !m.subject) throw new TypeError(who + ": 'subject' must be a non-empty string");
      if (typeof m.body !== "string") throw new TypeError(who + ": 'body' must be a string");
      api.effect("store.sendEmail", { to: to, subject: m.subject, body: m.body });
      return { queued: true, to: to };
    },
  });

  const made = create(null);
  const services = new Proxy(create(null), {
    get(target, prop) {
      if (typeof prop !== "string") return undefined;
      if (prop === "notifications") return notifications;
      if (!COLLECTION.test(prop)) return undefined;
      return made[prop] || (made[prop] = collectionService(prop));
    },
    set() {
      return false;
    },
    has(target, prop) {
      return typeof prop === "string" && COLLECTION.test(prop);
    },
  });

  api.define("db", db);
  api.define("services", services);
})
