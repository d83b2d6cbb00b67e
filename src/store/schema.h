/* schema.h: the SQL migrations embedded from schema/ at build time. */
#ifndef ESEAL_SCHEMA_H
#define ESEAL_SCHEMA_H
#include <stddef.h>

struct schema_migration {
	int		 version;	/* NNN of schema/NNN_name.sql */
	const char	*name;		/* file name, for the log */
	const char	*sql;		/* the whole file */
};

extern const struct schema_migration schema_migrations[];
extern const size_t schema_nmigrations;

#endif
