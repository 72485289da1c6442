import { z } from 'zod'

/** Thrown at start-up when the environment does not describe a usable configuration. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Parses the environment once, at start-up, into a frozen typed object. Every bad key is listed
 * in one error so an operator fixes them all in one go.
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env
): Readonly<z.output<S>> {
  // Empty strings mean "not set": Kubernetes ConfigMaps and shells produce them for unset values.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''))
  const result = schema.safeParse(cleaned)
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(root)'
      // zod's own words for a missing key: "Invalid input: expected string, received undefined".
      const missing = issue.code === 'invalid_type' && cleaned[name] === undefined
      return `- ${name}: ${missing ? 'is required but not set' : issue.message}`
    })
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  return Object.freeze(result.data)
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Fields every function reads: Knative injects PORT (8080 by default). */
export const baseEnv = {
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
}

export const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection URL')

/** A comma-separated list such as `KAFKA_BROKERS=a:9092,b:9092`. */
export const commaList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
  )
  .pipe(z.array(z.string()).min(1, 'must list at least one entry'))

export const positiveNumber = z.coerce.number().positive()
export const positiveInt = z.coerce.number().int().positive()

export const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes')
