/**
 * An IOTA cron script: main() runs at 09:00 every day, Helsinki time.
 * Only a privileged script's schedule runs.
 *
 * @cron 0 9 * * *
 * @timezone Europe/Helsinki
 */
async function main() {
  console.info(`Daily job for tenant ${context.tenant.name}`);
  return { success: true };
}
