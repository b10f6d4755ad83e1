export class FieldErrorDto {
  /** Path of the offending field, e.g. `username` or `items.0.name`. */
  field: string;
  /** Human-readable problems with that field. */
  messages: string[];
}

/** The body of every error response. */
export class ApiErrorDto {
  /** HTTP status code, repeated for clients that only see the body. */
  statusCode: number;
  /** HTTP reason phrase, e.g. `Bad Request`. */
  error: string;
  /** Human-readable explanation; safe to show to the user. */
  message: string;
  /** Stable machine-readable error code, e.g. `USERNAME_TAKEN`. */
  code: string;
  /** Field-level validation errors, when the input was invalid. */
  details?: FieldErrorDto[];
  /** Request id, also sent as the `x-request-id` header; quote it when reporting a problem. */
  requestId?: string;
}
