// A scheduled job: tick() runs every 60 minutes, with no request. Only a
// privileged script may schedule: tick "Privileged" below, then save again.

function tick(context) {
  const info = context.meta.schedule || {};
  console.log("job " + info.name + " running at " + info.scheduledFor);
  return { ok: true };
}

function init(context) {
  schedulerService.registerRecurring({
    handler: "tick",
    intervalMinutes: 60,
    name: "hourly",
  });
}
