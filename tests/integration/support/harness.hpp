// Everything an integration test needs: the shared PostgreSQL and MariaDB, the Sluice process, libpq helpers.
#pragma once

#include "http.hpp"
#include "mariadb_server.hpp"
#include "my.hpp"
#include "my_sluice.hpp"
#include "net.hpp"
#include "pg.hpp"
#include "poll.hpp"
#include "postgres_server.hpp"
#include "process.hpp"
#include "sluice_process.hpp"
#include "temp_dir.hpp"
