export class HealthDto {
  /** `ok` when the process is up and the database answers. */
  status: 'ok';
  database: 'up';
  uptimeSeconds: number;
}
