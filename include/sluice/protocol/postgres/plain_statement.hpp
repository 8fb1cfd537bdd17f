// A cheap look at a whole Query or Parse text before the lexer reads it: is it one ordinary
// SELECT / INSERT / UPDATE / DELETE / WITH / VALUES / TABLE statement that cannot change the
// session? Most texts a pooler sees are, and lexing and classifying them token by token is most
// of what reading a client's statements costs (bench/instructions.sh).
//
// Conservative by construction, whatever the encoding, quoting or standard_conforming_strings:
// it looks at bytes, not tokens, so a quote the lexer would read differently changes nothing.
//   - one statement: no ';' except at the end (only whitespace after it), so no second
//     statement can hide anywhere, in code or in a string;
//   - its first bytes (after whitespace) are one of the head words above, so it is none of the
//     statements the classifier has a handler for (SET, CREATE, DECLARE, ...), no transaction
//     control, and not EXPLAIN;
//   - no word anywhere (an ASCII letter, '_' or a byte >= 0x80 starts one; letters, digits, '_'
//     and bytes >= 0x80 continue it, as in PostgreSQL's lexer, except that '$' ends it here:
//     it may close a dollar-quoted string) that, ASCII case folded, is a
//     name the classifier watches for in any statement: the session functions
//     (kSessionFunctions), TEMP, TEMPORARY, PG_TEMP*. Inside strings and comments too, so
//     where a string ends does not matter. A multi-byte character's bytes are word bytes, as they
//     are to the server, so a word the server reads is a word here.
// When it says yes, the classifier would find no effect and no transaction control, and the text
// is exactly one non-empty statement (the fuzz target pg_sql_lexer checks this); when it says no,
// the lexer reads the text as before.
#pragma once

#include <string_view>

namespace sluice::pg {

bool is_plain_statement(std::string_view text);

}  // namespace sluice::pg
