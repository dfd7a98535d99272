"""Django's PostgreSQL backend whose connection pool checks connections without a round trip
(``ENGINE = "orbit_numbers.db_backend"``; set by orbit_numbers.db_settings when ``DB_POOL`` is on)."""
