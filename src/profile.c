/*
 * profile.c: the end-entity certificate's content.  The subject is built
 * from the vetted organisation; the request contributes only its key.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "profile.h"

enum eseal_rc
profile_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL) {
		ERR_clear_error();
		return eseal_err(ESEAL_EINTERNAL, "profile: cannot build %s "
		    "\"%s\"", OBJ_nid2sn(nid), value);
	}
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? ESEAL_OK : eseal_err(ESEAL_ENOMEM, "profile: out of memory");
}

static int
add_attr(X509_NAME *n, int nid, int type, const char *v)
{
	return X509_NAME_add_entry_by_NID(n, nid, type,
	    (const unsigned char *)v, -1, -1, 0);
}

enum eseal_rc
profile_build(const struct profile_input *in, X509 **out)
{
	const struct org *o = in->org;
	X509_NAME *subj = NULL;
	X509 *x = NULL;
	ASN1_INTEGER *sn = NULL;
	enum eseal_rc rc;

	*out = NULL;
	if (strlen(o->country) != 2 || o->name[0] == '\0')
		return eseal_err(ESEAL_EINVAL, "profile: the organisation "
		    "needs a country and a name");
	if (in->not_after <= in->not_before)
		return eseal_err(ESEAL_EINVAL, "profile: RFC 5280 4.1.2.5: "
		    "notAfter must follow notBefore");
	if ((x = X509_new()) == NULL || (subj = X509_NAME_new()) == NULL)
		goto nomem;
	if (!X509_set_version(x, X509_VERSION_3) ||
	    (sn = BN_to_ASN1_INTEGER(in->serial, NULL)) == NULL ||
	    !X509_set_serialNumber(x, sn) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(in->issuer)) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)in->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)in->not_after) == NULL)
		goto nomem;
	/* RFC 5280 4.1.2.4: countryName is a PrintableString; others UTF8. */
	if (!add_attr(subj, NID_countryName, MBSTRING_ASC, o->country) ||
	    !add_attr(subj, NID_organizationName, MBSTRING_UTF8, o->name) ||
	    !add_attr(subj, NID_commonName, MBSTRING_UTF8,
	    o->common_name[0] != '\0' ? o->common_name : o->name)) {
		rc = eseal_err(ESEAL_EINVAL, "profile: RFC 5280 4.1.2.6: "
		    "subject attribute not valid UTF-8 or too long");
		goto out;
	}
	if (!X509_set_subject_name(x, subj) ||
	    !X509_set_pubkey(x, in->subject_key))
		goto nomem;
	if ((rc = profile_add_ext(x, in->issuer, NID_basic_constraints,
	    "critical,CA:FALSE")) != ESEAL_OK ||
	    (rc = profile_add_ext(x, in->issuer, NID_key_usage,
	    "critical,nonRepudiation")) != ESEAL_OK ||
	    (rc = profile_add_ext(x, in->issuer, NID_subject_key_identifier,
	    "hash")) != ESEAL_OK ||
	    (rc = profile_add_ext(x, in->issuer, NID_authority_key_identifier,
	    "keyid:always")) != ESEAL_OK)
		goto out;
	*out = x;
	x = NULL;
	rc = ESEAL_OK;
	goto out;
nomem:
	rc = eseal_err(ESEAL_ENOMEM, "profile: out of memory");
out:
	ASN1_INTEGER_free(sn);
	X509_NAME_free(subj);
	X509_free(x);
	ERR_clear_error();
	return rc;
}
