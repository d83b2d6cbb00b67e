/* keytype.h: the issuer key types the CA can generate on a token. */
#ifndef ESEAL_KEYTYPE_H
#define ESEAL_KEYTYPE_H

enum key_type {
	KEY_EC_P256,
	KEY_EC_P384,
	KEY_RSA_3072,
	KEY_RSA_4096,
	KEY_TYPE_MAX
};

/* "ec-p256", "ec-p384", "rsa-3072", "rsa-4096". */
const char	*key_type_name(enum key_type);
/* Returns the key type for a name, or -1. */
int		 key_type_parse(const char *);

#endif
