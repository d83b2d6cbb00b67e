/* keytype.c: names of the issuer key types. */
#include <string.h>

#include "keytype.h"

static const char *const key_type_names[KEY_TYPE_MAX] = {
	[KEY_EC_P256] = "ec-p256",
	[KEY_EC_P384] = "ec-p384",
	[KEY_RSA_3072] = "rsa-3072",
	[KEY_RSA_4096] = "rsa-4096",
};

const char *
key_type_name(enum key_type t)
{
	return (t >= 0 && t < KEY_TYPE_MAX) ? key_type_names[t] : "?";
}

int
key_type_parse(const char *s)
{
	for (int i = 0; i < KEY_TYPE_MAX; i++)
		if (strcmp(s, key_type_names[i]) == 0)
			return i;
	return -1;
}
