/**
 * fast-check trees of AST expressions over given leaves: `not`, `and`
 * (explicit or implicit) and `or` nodes with empty spans, for
 * parse(print(ast)) round trips.
 */
import fc from 'fast-check'
import type { Expr } from '../../grammar/ast.js'

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
