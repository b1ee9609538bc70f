import type { ColumnType } from '../topology/relations.js';

/** The statements and expressions of the SQL subset, as the parser builds them. Offsets point into the text. */

export type BinaryOperator =
  | '='
  | '<>'
  | '<'
  | '<='
  | '>'
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | 'AND'
  | 'OR';

export type Expression =
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null; readonly offset: number }
  | {
      readonly kind: 'column';
      readonly qualifier: string | undefined;
      readonly name: string;
      readonly offset: number;
    }
  | {
      readonly kind: 'subscript';
      readonly base: Expression;
      readonly index: Expression;
      readonly offset: number;
    }
  | { readonly kind: 'not'; readonly operand: Expression; readonly offset: number }
  | { readonly kind: 'negate'; readonly operand: Expression; readonly offset: number }
  | {
      readonly kind: 'binary';
      readonly operator: BinaryOperator;
      readonly left: Expression;
      readonly right: Expression;
      readonly offset: number;
    }
  | {
      readonly kind: 'isNull';
      readonly operand: Expression;
      readonly negated: boolean;
      readonly offset: number;
    }
  | {
      readonly kind: 'like';
      readonly operand: Expression;
      readonly pattern: Expression;
      readonly negated: boolean;
      readonly offset: number;
    }
  | {
      readonly kind: 'in';
      readonly operand: Expression;
      readonly list: readonly Expression[];
      readonly negated: boolean;
      readonly offset: number;
    }
  | {
      readonly kind: 'call';
      readonly name: string;
      readonly args: readonly Expression[];
      readonly offset: number;
    }
  | {
      readonly kind: 'cast';
      readonly operand: Expression;
      readonly type: ColumnType;
      readonly offset: number;
    };

export interface RelationReference {
  readonly name: string;
  readonly alias: string | undefined;
  readonly offset: number;
}

export type SelectItem =
  | { readonly kind: 'all'; readonly qualifier: string | undefined; readonly offset: number }
  | { readonly kind: 'expression'; readonly expression: Expression; readonly alias: string | undefined };

export interface JoinClause {
  readonly type: 'INNER' | 'LEFT';
  readonly relation: RelationReference;
  readonly left: Expression;
  readonly right: Expression;
  readonly offset: number;
}

export interface SelectStatement {
  readonly kind: 'select';
  readonly text: string;
  readonly items: readonly SelectItem[];
  readonly from: RelationReference;
  readonly join: JoinClause | undefined;
  readonly where: Expression | undefined;
  readonly limit: number | undefined;
  readonly emitChanges: boolean;
}

export type Statement =
  | SelectStatement
  | { readonly kind: 'show'; readonly text: string; readonly what: 'TABLES' | 'STREAMS' | 'QUERIES' }
  | {
      readonly kind: 'describe';
      readonly text: string;
      readonly relation: RelationReference;
      readonly extended: boolean;
    }
  | {
      readonly kind: 'insert';
      readonly text: string;
      readonly relation: RelationReference;
      readonly columns: readonly { readonly name: string; readonly offset: number }[] | undefined;
      readonly values: readonly Expression[];
    };
