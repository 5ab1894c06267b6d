// Added to FerretDB v1.24.2's sjson package by crm-books-sync (scripts/ferretdb-patches.ts copies this file
// into internal/handler/sjson before `go build`). Every stored string and date is decoded with a new
// encoding/json Decoder of its own, which was a tenth of the server's CPU on reads of many documents, and
// more in the garbage it leaves. The common cases are read straight from their JSON text here; anything
// else still goes through the Decoder, so what is decoded does not change.

package sjson

import (
	"strconv"
	"unicode/utf8"
)

// plainJSONString returns the value of a JSON string token without escapes: its bytes between the quotes,
// when they are valid UTF-8 without control characters (what the Decoder would return for them).
func plainJSONString(data []byte) (string, bool) {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return "", false
	}

	inner := data[1 : len(data)-1]
	for _, b := range inner {
		if b < 0x20 || b == '"' || b == '\\' {
			return "", false
		}
	}

	if !utf8.Valid(inner) {
		return "", false
	}

	return string(inner), true
}

// plainJSONInt returns the value of a JSON integer token of decimal digits with an optional minus sign.
func plainJSONInt(data []byte) (int64, bool) {
	digits := data
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}

	if len(digits) == 0 || len(digits) > 18 || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}

	for _, b := range digits {
		if b < '0' || b > '9' {
			return 0, false
		}
	}

	v, err := strconv.ParseInt(string(data), 10, 64)

	return v, err == nil
}
