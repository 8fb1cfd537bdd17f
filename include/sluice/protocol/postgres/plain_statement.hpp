// A cheap look at a whole Query or Parse text before the lexer reads it: is it one ordinary
// SELECT / INSERT / UPDATE / DELETE / WITH / VALUES / TABLE statement that cannot change the
// session? Most texts a pooler sees are, and lexing and classifying them token by token is most
// of what reading a client's statements costs (bench/instructions.sh).
//
// Conservative by construction (sluice/protocol/plain_text.hpp: bytes, not tokens): one
// statement; its first word one of the heads above, so it is none of the statements the
// classifier has a handler for (SET, CREATE, DECLARE, ...), no transaction control, and not
// EXPLAIN; and no word anywhere that is a name the classifier watches for in any statement: the
// session functions (kSessionFunctions), TEMP, TEMPORARY, PG_TEMP*.
// When it says yes, the classifier would find no effect and no transaction control, and the text
// is exactly one non-empty statement (the fuzz target pg_sql_lexer checks this); when it says no,
// the lexer reads the text as before.
#pragma once

#include <string_view>

namespace sluice::pg {

bool is_plain_statement(std::string_view text);

}  // namespace sluice::pg
