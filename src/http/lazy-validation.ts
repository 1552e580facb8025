import AjvCompiler from '@fastify/ajv-compiler';

type Validate = ((data: unknown) => unknown) & { errors?: unknown };

/**
 * Fastify's own request validators (ajv, built by @fastify/ajv-compiler with the app's options),
 * each compiled at its route's first request instead of all at start: compiling every route's
 * schemas was ~170 ms of a 1.4 s start, and most routes of a given deployment are never called.
 * The wrapper hands fastify the compiled function's `errors` after each call, as fastify reads them.
 * Schema mistakes still surface in tests: src/http/openapi.test.ts compiles every route schema.
 */
export function lazyValidators(): AjvCompiler.ValidatorFactory {
  const build = AjvCompiler();
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options);
    return (route) => {
      let validate: Validate | undefined;
      const lazy: Validate = (data) => {
        validate ??= compile(route) as Validate;
        const valid = validate(data);
        lazy.errors = validate.errors;
        return valid;
      };
      return lazy as ReturnType<typeof compile>;
    };
  };
}
