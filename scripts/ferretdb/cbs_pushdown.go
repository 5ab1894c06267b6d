// Added to FerretDB v1.24.2's SQLite backend by crm-books-sync (scripts/ferretdb-patches.ts copies this file
// into internal/backends/sqlite before `go build`). It turns part of a filter into a WHERE clause that SQLite
// answers from the collection's indexes. The handler applies the whole filter to every row returned, as it
// always did, so a clause here only has to select a superset of the matching rows: it changes which rows are
// read, never which match.

package sqlite

import (
	"fmt"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// maxPushedValues bounds an $in list given to SQLite (SQLite allows 32,766 bound parameters).
const maxPushedValues = 1000

// maxPushedTerms bounds the OR terms of one clause (see indexClause).
const maxPushedTerms = 27

// pushedFilterClause returns the WHERE clause and its arguments for the rows a filter may match: from the _id
// index when the filter names _id, else from the index of the collection whose leading fields the filter
// constrains most; a top-level $or whose every branch (with the filter's other keys) is answered better so is
// answered as the union of its branches. Empty when no index helps: every row is read.
func pushedFilterClause(filter *types.Document, indexes []metadata.IndexInfo) (string, []any) {
	where, args, score := clauseOf(filter, indexes)

	branches, ok := orBranches(filter)
	if !ok {
		return where, args
	}

	var sqls []string
	var branchArgs []any

	for _, branch := range branches {
		w, a, s := clauseOf(branch, indexes)
		if w == "" || s <= score {
			return where, args
		}

		sqls = append(sqls, "("+strings.TrimPrefix(w, " WHERE ")+")")
		branchArgs = append(branchArgs, a...)
	}

	return " WHERE " + strings.Join(sqls, " OR "), branchArgs
}

// idScore ranks an _id condition above any other index's.
const idScore = 1 << 10

// clauseOf is pushedFilterClause without $or: the clause, its arguments, and how many leading index fields it
// uses (idScore for _id; 0 when there is no clause).
func clauseOf(filter *types.Document, indexes []metadata.IndexInfo) (string, []any, int) {
	if where, args := idFilterClause(filter); where != "" {
		return where, args, idScore
	}

	conditions := pushableConditions(filter)
	if len(conditions) == 0 {
		return "", nil, 0
	}

	var best []pushedField

	for _, index := range indexes {
		var used []pushedField

		for _, key := range index.Key {
			c, ok := conditions[key.Field]
			if !ok {
				break
			}

			used = append(used, pushedField{field: key.Field, condition: c})

			// After equalities, one range ends what an index can use.
			if c.values == nil {
				break
			}
		}

		if len(used) > len(best) {
			best = used
		}
	}

	if len(best) == 0 {
		return "", nil, 0
	}

	where, args := indexClause(best)

	return where, args, len(best)
}

// maxPushedBranches bounds the $or branches answered one by one.
const maxPushedBranches = 8

// orBranches returns, for a filter with one top-level $or of 1 to maxPushedBranches documents, each branch
// merged with the filter's other keys (a row the filter matches matches one of them). Where a key is both in
// the filter and in a branch, the branch's condition is kept: dropping a condition only widens the clause.
func orBranches(filter *types.Document) ([]*types.Document, bool) {
	if countKey(filter, "$or") != 1 {
		return nil, false
	}

	v, _ := filter.Get("$or")

	or, ok := v.(*types.Array)
	if !ok || or.Len() == 0 || or.Len() > maxPushedBranches {
		return nil, false
	}

	res := make([]*types.Document, 0, or.Len())

	for i := 0; i < or.Len(); i++ {
		e, _ := or.Get(i)

		branch, ok := e.(*types.Document)
		if !ok {
			return nil, false
		}

		merged := branch.DeepCopy()

		for _, k := range filter.Keys() {
			if k == "$or" || merged.Has(k) || countKey(filter, k) != 1 {
				continue
			}

			merged.Set(k, must.NotFail(filter.Get(k)))
		}

		res = append(res, merged)
	}

	return res, true
}

// idFilterClause returns the WHERE clause (with its arguments) that selects the rows a filter's top-level
// _id condition allows: an equality or an $in of strings or ObjectIDs. Any other filter gives none.
func idFilterClause(filter *types.Document) (string, []any) {
	if countKey(filter, "_id") != 1 {
		return "", nil
	}

	v, _ := filter.Get("_id")
	switch v := v.(type) {
	case string, types.ObjectID:
		return fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn), []any{jsonText(v)}
	case *types.Document:
		if v.Len() != 1 || !v.Has("$in") {
			return "", nil
		}

		in, _ := v.Get("$in")

		args, ok := inValues(in, isIDValue)
		if !ok {
			return "", nil
		}

		return fmt.Sprintf(` WHERE %s IN (%s)`, metadata.IDColumn, placeholders(len(args))), args
	}

	return "", nil
}

// pushedCondition is what one field's condition allows, in the text SQLite's `->` gives for the field (the
// JSON of its value: a string with its quotes, a date as its milliseconds since the epoch).
type pushedCondition struct {
	// values: the field equals one of these strings (nil: no equality).
	values []any
	// The date range, both ends present: lower and upper bounds with their operators.
	lowerOp, upperOp string
	lower, upper     string
}

// pushedField is an index field and its condition: an equality when it has values, else a date range.
type pushedField struct {
	field     string
	condition pushedCondition
}

// The dates whose milliseconds have exactly 13 digits (2001-09-09 to 2286-11-20): between two such bounds,
// the text of a date orders as its value does.
const (
	minPushedMillis = 1_000_000_000_000
	maxPushedMillis = 9_999_999_999_999
)

// pushableConditions returns, per top-level field, a condition SQLite can check from an index: an equality
// or $in of strings, or a date range with both ends inside the 13-digit span. Fields named more than once,
// or with other characters than letters, digits, `_` and dots, are left to the handler.
func pushableConditions(filter *types.Document) map[string]pushedCondition {
	res := map[string]pushedCondition{}

	for _, field := range filter.Keys() {
		if !plainPath(field) || field == "_id" || countKey(filter, field) != 1 {
			continue
		}

		v, _ := filter.Get(field)
		switch v := v.(type) {
		case string:
			res[field] = pushedCondition{values: []any{jsonText(v)}}
		case *types.Document:
			if c, ok := operatorCondition(v); ok {
				res[field] = c
			}
		}
	}

	return res
}

// operatorCondition reads {$eq: string}, {$in: [string…]}, or a date range of $gt/$gte and $lt/$lte; other
// operators beside them are ignored (the handler checks them). A document with a non-operator key is an exact
// match of an embedded document and gives nothing.
func operatorCondition(d *types.Document) (pushedCondition, bool) {
	var c pushedCondition

	for _, op := range d.Keys() {
		if !strings.HasPrefix(op, "$") {
			return pushedCondition{}, false
		}
	}

	if countKey(d, "$eq") > 1 || countKey(d, "$in") > 1 {
		return pushedCondition{}, false
	}

	if v, err := d.Get("$eq"); err == nil {
		if s, ok := v.(string); ok {
			return pushedCondition{values: []any{jsonText(s)}}, true
		}
	}

	if v, err := d.Get("$in"); err == nil {
		if values, ok := inValues(v, isString); ok {
			return pushedCondition{values: values}, true
		}
	}

	for _, op := range []string{"$gt", "$gte"} {
		if t, ok := pushedDate(d, op); ok {
			c.lowerOp, c.lower = sqlComparisons[op], t
		}
	}

	for _, op := range []string{"$lt", "$lte"} {
		if t, ok := pushedDate(d, op); ok {
			c.upperOp, c.upper = sqlComparisons[op], t
		}
	}

	if c.lowerOp == "" || c.upperOp == "" {
		return pushedCondition{}, false
	}

	return c, true
}

// sqlComparisons are the SQL operators of the range operators pushed down.
var sqlComparisons = map[string]string{"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}

// pushedDate returns the milliseconds text of the date under op when it lies in the 13-digit span.
func pushedDate(d *types.Document, op string) (string, bool) {
	if countKey(d, op) != 1 {
		return "", false
	}

	v, _ := d.Get(op)

	t, ok := v.(time.Time)
	if !ok || t.UnixMilli() < minPushedMillis || t.UnixMilli() > maxPushedMillis {
		return "", false
	}

	return fmt.Sprintf("%d", t.UnixMilli()), true
}

// inValues returns the JSON texts of an $in's array of 1 to maxPushedValues values, each of which `accept`s.
func inValues(v any, accept func(any) bool) ([]any, bool) {
	values, ok := v.(*types.Array)
	if !ok || values.Len() == 0 || values.Len() > maxPushedValues {
		return nil, false
	}

	res := make([]any, 0, values.Len())

	for i := 0; i < values.Len(); i++ {
		e, _ := values.Get(i)
		if !accept(e) {
			return nil, false
		}

		res = append(res, jsonText(e))
	}

	return res, true
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// isIDValue: the _id values the _id index is written for.
func isIDValue(v any) bool {
	switch v.(type) {
	case string, types.ObjectID:
		return true
	}

	return false
}

// indexClause writes the fields' conditions as an OR of ANDs over the index's expressions (the same text as
// the metadata registry's CREATE INDEX), so that SQLite reads each AND from the index. Each field's value
// may also be an array (MongoDB matches an array holding a matching element; its JSON text starts with `[`),
// and for a dotted path the expression is NULL when a document on the way is an array: those rows are read
// too (see arrayOnTheWay). Fields after the first are dropped when the terms would exceed maxPushedTerms.
func indexClause(fields []pushedField) (string, []any) {
	type alternative struct {
		sql  string
		args []any
	}

	terms := []alternative{{}}

	for i, f := range fields {
		column := indexExpression(f.field)

		var alternatives []alternative

		if f.condition.values != nil {
			alternatives = append(alternatives, alternative{
				sql:  fmt.Sprintf("%s IN (%s)", column, placeholders(len(f.condition.values))),
				args: f.condition.values,
			})
		} else {
			alternatives = append(alternatives, alternative{
				sql:  fmt.Sprintf("%s %s ? AND %s %s ?", column, f.condition.lowerOp, column, f.condition.upperOp),
				args: []any{f.condition.lower, f.condition.upper},
			})
		}

		alternatives = append(alternatives, alternative{
			sql:  fmt.Sprintf("%s >= ? AND %s < ?", column, column),
			args: []any{"[", "\\"},
		})

		if strings.Contains(f.field, ".") {
			alternatives = append(alternatives, alternative{sql: column + " IS NULL AND " + arrayOnTheWay(f.field)})
		}

		if i > 0 && len(terms)*len(alternatives) > maxPushedTerms {
			break
		}

		next := make([]alternative, 0, len(terms)*len(alternatives))

		for _, t := range terms {
			for _, a := range alternatives {
				sql := a.sql
				if t.sql != "" {
					sql = t.sql + " AND " + a.sql
				}

				args := append(append([]any{}, t.args...), a.args...)
				next = append(next, alternative{sql: sql, args: args})
			}
		}

		terms = next
	}

	sqls := make([]string, len(terms))

	var args []any

	for i, t := range terms {
		sqls[i] = "(" + t.sql + ")"
		args = append(args, t.args...)
	}

	return " WHERE " + strings.Join(sqls, " OR "), args
}

// arrayOnTheWay is the SQL condition that a document on a dotted path, before its last field, is an array:
// then the index expression is NULL while MongoDB may match an element. SQLite checks it on the rows the
// index gives for NULL only (a document without the field, which matches no string), so those rows are not
// sent to the handler.
func arrayOnTheWay(field string) string {
	parts := strings.Split(field, ".")
	checks := make([]string, 0, len(parts)-1)

	for i := 1; i < len(parts); i++ {
		checks = append(checks, fmt.Sprintf(`json_type(%s, '$."%s"') = 'array'`,
			metadata.DefaultColumn, strings.Join(parts[:i], `"."`)))
	}

	return "(" + strings.Join(checks, " OR ") + ")"
}

// indexExpression is the expression the metadata registry indexes a field path by.
func indexExpression(field string) string {
	parts := strings.Split(field, ".")
	for i, p := range parts {
		parts[i] = fmt.Sprintf("%q", p)
	}

	return metadata.DefaultColumn + "->" + strings.Join(parts, "->")
}

// plainPath reports whether a field path is made of letters, digits and `_`, with dots between (the only
// paths written into SQL here).
func plainPath(field string) bool {
	for _, part := range strings.Split(field, ".") {
		if part == "" {
			return false
		}

		for _, r := range part {
			if !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
				return false
			}
		}
	}

	return true
}

// jsonText is a value as FerretDB stores it, and as SQLite's `->` gives it back.
func jsonText(v any) string {
	return string(must.NotFail(sjson.MarshalSingleValue(v)))
}

func countKey(d *types.Document, key string) int {
	count := 0

	for _, k := range d.Keys() {
		if k == key {
			count++
		}
	}

	return count
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
