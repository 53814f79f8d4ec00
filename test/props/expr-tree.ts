/**
 * fast-check trees over given leaves: AST expressions (`not`, explicit or
 * implicit `and`, `or`, empty spans) for parse(print(ast)) round trips, and
 * resolved filters for the evaluator, interpreter and target properties.
 */
import fc from 'fast-check'
import type { Expr, Span } from '../../grammar/ast.js'
import type { Filter } from '../../compiler/filter.js'

/** The empty span generated nodes carry (compare trees with their spans stripped). */
export const S0 = { start: 0, end: 0 }

/** Expression trees whose leaves come from `leaf`. */
export function exprTree(leaf: fc.Arbitrary<Expr>): fc.Arbitrary<Expr> {
  return fc.letrec<{ tree: Expr }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      tie('tree').map((operand): Expr => ({ kind: 'not', operand, span: S0 })),
      fc.tuple(tie('tree'), tie('tree'), fc.boolean()).map(([left, right, implicit]): Expr => ({ kind: 'and', left, right, implicit, span: S0 })),
      fc.tuple(tie('tree'), tie('tree')).map(([left, right]): Expr => ({ kind: 'or', left, right, span: S0 })),
    ),
  })).tree
}

/** Resolved filter trees whose leaves come from `leaf` (`and`, `or`, `not` nodes carrying `span`). */
export function filterTree(leaf: fc.Arbitrary<Filter>, span: Span = S0): fc.Arbitrary<Filter> {
  return fc.letrec<{ tree: Filter }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.tuple(tie('tree'), tie('tree')).map(([left, right]): Filter => ({ kind: 'and', left, right, span })),
      fc.tuple(tie('tree'), tie('tree')).map(([left, right]): Filter => ({ kind: 'or', left, right, span })),
      tie('tree').map((operand): Filter => ({ kind: 'not', operand, span })),
    ),
  })).tree
}
