/*
 * p11_names.c: the names of the PKCS#11 mechanisms the CA knows, for
 * `esealctl hsm status` and the readiness report (p11.h, p11_mech_name).
 */
#include "p11_int.h"

static const struct {
	unsigned long	 type;
	const char	*name;
} mech_names[] = {
	{ CKM_RSA_PKCS_KEY_PAIR_GEN, "CKM_RSA_PKCS_KEY_PAIR_GEN" },
	{ CKM_RSA_PKCS, "CKM_RSA_PKCS" },
	{ CKM_RSA_X_509, "CKM_RSA_X_509" },
	{ CKM_RSA_PKCS_PSS, "CKM_RSA_PKCS_PSS" },
	{ CKM_SHA256_RSA_PKCS, "CKM_SHA256_RSA_PKCS" },
	{ CKM_SHA384_RSA_PKCS, "CKM_SHA384_RSA_PKCS" },
	{ CKM_SHA512_RSA_PKCS, "CKM_SHA512_RSA_PKCS" },
	{ CKM_SHA256_RSA_PKCS_PSS, "CKM_SHA256_RSA_PKCS_PSS" },
	{ CKM_SHA384_RSA_PKCS_PSS, "CKM_SHA384_RSA_PKCS_PSS" },
	{ CKM_SHA512_RSA_PKCS_PSS, "CKM_SHA512_RSA_PKCS_PSS" },
	{ CKM_EC_KEY_PAIR_GEN, "CKM_EC_KEY_PAIR_GEN" },
	{ CKM_ECDSA, "CKM_ECDSA" },
	{ CKM_ECDSA_SHA256, "CKM_ECDSA_SHA256" },
	{ CKM_ECDSA_SHA384, "CKM_ECDSA_SHA384" },
	{ CKM_ECDSA_SHA512, "CKM_ECDSA_SHA512" },
	{ CKM_EC_EDWARDS_KEY_PAIR_GEN, "CKM_EC_EDWARDS_KEY_PAIR_GEN" },
	{ CKM_EDDSA, "CKM_EDDSA" },
	{ CKM_SHA256, "CKM_SHA256" },
	{ CKM_SHA384, "CKM_SHA384" },
	{ CKM_SHA512, "CKM_SHA512" },
};

const char *
p11_mech_name(unsigned long type)
{
	for (size_t i = 0; i < sizeof(mech_names) / sizeof(mech_names[0]); i++)
		if (mech_names[i].type == type)
			return mech_names[i].name;
	return NULL;
}
