/*
 * console.h: the web console's static files, compiled into the daemon by
 * tools/embed-console (build/gen/console.c) from console/.
 */
#ifndef ESEAL_CONSOLE_H
#define ESEAL_CONSOLE_H

#include <stddef.h>

struct console_file {
	const char		*name;		/* "app.js", "i18n/ja.js" */
	const char		*content_type;
	const unsigned char	*data;
	size_t			 len;
};

extern const struct console_file console_files[];
extern const size_t console_nfiles;

#endif
