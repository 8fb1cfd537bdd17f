// A binary prepared statement through MariaDB Connector/C for the integration tests: integer
// parameters in, the first row's columns out as text. Every failure throws with the server's
// message.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice_it {

class MyStatement {
public:
    MyStatement(MYSQL* connection, const std::string& sql);
    MyStatement(const MyStatement&) = delete;
    MyStatement& operator=(const MyStatement&) = delete;
    ~MyStatement();

    // Executes with these integer parameters; returns every row's columns (integers or text).
    std::vector<std::vector<std::string>> execute(const std::vector<long long>& parameters);
    // Affected rows and insert id of the last execute.
    std::uint64_t affected_rows() const;
    std::uint64_t insert_id() const;
    unsigned long id() const;

private:
    MYSQL_STMT* statement_;
    std::vector<long long> bound_;  // the bound parameter values (Connector/C reads them at execute)
    bool bound_once_ = false;
};

}  // namespace sluice_it
