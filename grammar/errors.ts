/**
 * The typed errors of the filter language. They carry a code, a half-open
 * span into the filter text and notes; only the CLI renders them (with a
 * caret under the span) and chooses exit codes: ss exits 255 on syntax
 * errors and 1 on values it cannot parse or resolve.
 */
import type { Span } from './ast.js'
import type { ValueToken } from './lexer.js'
import type { FilterSource } from './source.js'

/** Fields shared by filter errors. */
abstract class SpannedError extends Error {
  constructor(
    /** Stable machine-readable code, e.g. `E_SYNTAX`, `E_PORT`, `E_HOST`. */
    readonly code: string,
    message: string,
    /** Where in the filter text; absent when the error is not about one place. */
    readonly span?: Span,
    /** Extra lines: hints, the other reading of an expression, … */
    readonly notes: readonly string[] = [],
  ) {
    super(message)
  }

  /** The filter text the span points into (set by `parseFilter`). */
  source?: FilterSource

  /**
   * Set by `parseFilter` on a syntax error: the values ss's lexer had read
   * (and would have resolved) before the parser noticed, and the index of
   * the token where it noticed. A resolve pass fails on those names first,
   * as ss does.
   */
  lexed?: { readonly values: readonly ValueToken[]; readonly tokenIndex: number }
}

/** The filter does not follow the grammar (ss: "bison bellows", exit 255). */
export class FilterSyntaxError extends SpannedError {
  override readonly name = 'FilterSyntaxError'
}

/** A value is malformed, unknown or cannot be compiled (ss: "Cannot parse …", exit 1). */
export class FilterError extends SpannedError {
  override readonly name = 'FilterError'
}
