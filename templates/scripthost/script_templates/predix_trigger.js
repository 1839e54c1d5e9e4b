'use strict';

/**
 * Refuses an entity without a name (a Predix pre-processing trigger: attach
 * it to a collection with POST /system/triggers).
 *
 * @name      RequireName
 * @execution pre-processing
 * @methods   POST, PUT
 *
 * @param {String} field - The property that must be present.
 */

const field = parameters.field || 'name';
if (!o[field]) {
  $.cancelRequest(o.uri + ' has no ' + field);
}
$.log('checked ' + o.uri);
