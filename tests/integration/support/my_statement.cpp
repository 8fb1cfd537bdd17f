#include "my_statement.hpp"

#include <stdexcept>

namespace sluice_it {

namespace {
[[noreturn]] void fail(MYSQL_STMT* statement, const std::string& what) {
    throw std::runtime_error(what + ": " + std::to_string(mysql_stmt_errno(statement)) + " " +
                             mysql_stmt_error(statement));
}
}  // namespace

MyStatement::MyStatement(MYSQL* connection, const std::string& sql) : statement_(mysql_stmt_init(connection)) {
    if (!statement_) throw std::runtime_error("mysql_stmt_init failed");
    if (mysql_stmt_prepare(statement_, sql.data(), sql.size()) != 0) {
        const std::string error = std::to_string(mysql_stmt_errno(statement_)) + " " + mysql_stmt_error(statement_);
        mysql_stmt_close(statement_);
        throw std::runtime_error("prepare " + sql + ": " + error);
    }
}

MyStatement::~MyStatement() { mysql_stmt_close(statement_); }

std::vector<std::vector<std::string>> MyStatement::execute(const std::vector<long long>& parameters) {
    // The same buffers every time: after the first execute Connector/C sends no types
    // (new-params-bound 0), which is what moving to another backend must survive.
    if (!bound_once_ || parameters.size() != bound_.size()) {
        bound_ = parameters;
        std::vector<MYSQL_BIND> binds(bound_.size());
        for (std::size_t i = 0; i < bound_.size(); ++i) {
            binds[i] = MYSQL_BIND{};
            binds[i].buffer_type = MYSQL_TYPE_LONGLONG;
            binds[i].buffer = &bound_[i];
        }
        if (!binds.empty() && mysql_stmt_bind_param(statement_, binds.data()) != 0) fail(statement_, "bind");
        bound_once_ = true;
    } else {
        for (std::size_t i = 0; i < bound_.size(); ++i) bound_[i] = parameters[i];
    }
    if (mysql_stmt_execute(statement_) != 0) fail(statement_, "execute");
    std::vector<std::vector<std::string>> rows;
    const unsigned int columns = mysql_stmt_field_count(statement_);
    if (columns == 0) return rows;
    std::vector<std::string> buffers(columns, std::string(256, '\0'));
    std::vector<unsigned long> lengths(columns);
    std::vector<my_bool> nulls(columns);
    std::vector<MYSQL_BIND> results(columns);
    for (unsigned int i = 0; i < columns; ++i) {
        results[i] = MYSQL_BIND{};
        results[i].buffer_type = MYSQL_TYPE_STRING;
        results[i].buffer = buffers[i].data();
        results[i].buffer_length = buffers[i].size();
        results[i].length = &lengths[i];
        results[i].is_null = &nulls[i];
    }
    if (mysql_stmt_bind_result(statement_, results.data()) != 0) fail(statement_, "bind result");
    if (mysql_stmt_store_result(statement_) != 0) fail(statement_, "store result");
    while (mysql_stmt_fetch(statement_) == 0) {
        std::vector<std::string> row;
        for (unsigned int i = 0; i < columns; ++i) row.push_back(nulls[i] ? "NULL" : buffers[i].substr(0, lengths[i]));
        rows.push_back(std::move(row));
    }
    mysql_stmt_free_result(statement_);
    return rows;
}

std::uint64_t MyStatement::affected_rows() const { return mysql_stmt_affected_rows(statement_); }
std::uint64_t MyStatement::insert_id() const { return mysql_stmt_insert_id(statement_); }
unsigned long MyStatement::id() const { return statement_->stmt_id; }

}  // namespace sluice_it
