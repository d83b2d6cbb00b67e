/*
 * qcs.c: QCStatements ::= SEQUENCE OF QCStatement (RFC 3739 3.2.6),
 * QCStatement ::= SEQUENCE { statementId OID, statementInfo ANY OPTIONAL },
 * with the statement infos of ETSI EN 319 412-5 4.2 and RFC 3739 3.2.6.1.
 * Everything is DER from OpenSSL's templates: no bytes are put together by
 * hand.
 */
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "qcs.h"

typedef struct {
	ASN1_OBJECT	*id;
	ASN1_TYPE	*info;
} QC_STATEMENT;

DEFINE_STACK_OF(QC_STATEMENT)
typedef STACK_OF(QC_STATEMENT) QC_STATEMENTS;

DECLARE_ASN1_ITEM(QC_STATEMENT)
ASN1_SEQUENCE(QC_STATEMENT) = {
	ASN1_SIMPLE(QC_STATEMENT, id, ASN1_OBJECT),
	ASN1_OPT(QC_STATEMENT, info, ASN1_ANY),
} ASN1_SEQUENCE_END(QC_STATEMENT)

DECLARE_ASN1_ITEM(QC_STATEMENTS)
ASN1_ITEM_TEMPLATE(QC_STATEMENTS) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, QcStatements,
	    QC_STATEMENT)
ASN1_ITEM_TEMPLATE_END(QC_STATEMENTS)

/* QcType ::= SEQUENCE OF OBJECT IDENTIFIER (EN 319 412-5 4.2.3) */
typedef STACK_OF(ASN1_OBJECT) QC_TYPES;
DECLARE_ASN1_ITEM(QC_TYPES)
ASN1_ITEM_TEMPLATE(QC_TYPES) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, QcTypes, ASN1_OBJECT)
ASN1_ITEM_TEMPLATE_END(QC_TYPES)

/* PdsLocation ::= SEQUENCE { url IA5String, language PrintableString } */
typedef struct {
	ASN1_IA5STRING		*url;
	ASN1_PRINTABLESTRING	*lang;
} PDS_LOCATION;
DEFINE_STACK_OF(PDS_LOCATION)
DECLARE_ASN1_ITEM(PDS_LOCATION)
ASN1_SEQUENCE(PDS_LOCATION) = {
	ASN1_SIMPLE(PDS_LOCATION, url, ASN1_IA5STRING),
	ASN1_SIMPLE(PDS_LOCATION, lang, ASN1_PRINTABLESTRING),
} ASN1_SEQUENCE_END(PDS_LOCATION)
typedef STACK_OF(PDS_LOCATION) PDS_LOCATIONS;
DECLARE_ASN1_ITEM(PDS_LOCATIONS)
ASN1_ITEM_TEMPLATE(PDS_LOCATIONS) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, PdsLocations,
	    PDS_LOCATION)
ASN1_ITEM_TEMPLATE_END(PDS_LOCATIONS)

/* QcCClegislation ::= SEQUENCE OF CountryName (PrintableString SIZE 2) */
DEFINE_STACK_OF(ASN1_PRINTABLESTRING)
typedef STACK_OF(ASN1_PRINTABLESTRING) QC_CC;
DECLARE_ASN1_ITEM(QC_CC)
ASN1_ITEM_TEMPLATE(QC_CC) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, QcCC,
	    ASN1_PRINTABLESTRING)
ASN1_ITEM_TEMPLATE_END(QC_CC)

/* SemanticsInformation ::= SEQUENCE { semanticsIdentifier OID OPTIONAL,
 *   nameRegistrationAuthorities SEQUENCE OF GeneralName OPTIONAL } */
typedef struct {
	ASN1_OBJECT		*id;
	GENERAL_NAMES		*nra;
} SEMANTICS_INFO;
DECLARE_ASN1_ITEM(SEMANTICS_INFO)
ASN1_SEQUENCE(SEMANTICS_INFO) = {
	ASN1_OPT(SEMANTICS_INFO, id, ASN1_OBJECT),
	ASN1_SEQUENCE_OF_OPT(SEMANTICS_INFO, nra, GENERAL_NAME),
} ASN1_SEQUENCE_END(SEMANTICS_INFO)

/* Appends a statement whose info (if item) is the DER of val. */
static int
add(QC_STATEMENTS *sk, const char *oid, const ASN1_ITEM *item, void *val)
{
	QC_STATEMENT *st;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len, ok = 0;

	if ((st = (QC_STATEMENT *)ASN1_item_new(ASN1_ITEM_rptr(QC_STATEMENT)))
	    == NULL)
		return 0;
	if ((st->id = OBJ_txt2obj(oid, 1)) == NULL)
		goto out;
	if (item != NULL) {
		if ((len = ASN1_item_i2d(val, &der, item)) <= 0)
			goto out;
		p = der;
		/* Our own encoding, re-read as ANY: all of it, or nothing. */
		if ((st->info = d2i_ASN1_TYPE(NULL, &p, len)) == NULL ||
		    p != der + len)
			goto out;
	}
	if (!sk_QC_STATEMENT_push(sk, st))
		goto out;
	st = NULL;
	ok = 1;
out:
	OPENSSL_free(der);
	ASN1_item_free((ASN1_VALUE *)st, ASN1_ITEM_rptr(QC_STATEMENT));
	return ok;
}

static void
pds_free(PDS_LOCATION *p)
{
	ASN1_item_free((ASN1_VALUE *)p, ASN1_ITEM_rptr(PDS_LOCATION));
}

enum eseal_rc
qcs_encode(const struct qcs_spec *spec, unsigned char **der, int *len)
{
	QC_STATEMENTS *sk = sk_QC_STATEMENT_new_null();
	QC_TYPES *types = sk_ASN1_OBJECT_new_null();
	PDS_LOCATIONS *pds = sk_PDS_LOCATION_new_null();
	QC_CC *cc = sk_ASN1_PRINTABLESTRING_new_null();
	SEMANTICS_INFO *sem = NULL;
	PDS_LOCATION *loc = NULL;
	ASN1_OBJECT *o;
	ASN1_PRINTABLESTRING *ps;
	enum eseal_rc rc = ESEAL_ENOMEM;

	*der = NULL;
	*len = 0;
	if (sk == NULL || types == NULL || pds == NULL || cc == NULL)
		goto out;
	/* EN 319 412-5 4.2.3: exactly one QcType, id-etsi-qct-eseal. */
	if ((o = OBJ_txt2obj(OID_QCT_ESEAL, 1)) == NULL ||
	    !sk_ASN1_OBJECT_push(types, o))
		goto out;
	if (spec->compliance && !add(sk, OID_QC_COMPLIANCE, NULL, NULL))
		goto out;
	if (!add(sk, OID_QC_TYPE, ASN1_ITEM_rptr(QC_TYPES), types))
		goto out;
	if (spec->test_second_qctype &&
	    !add(sk, OID_QC_TYPE, ASN1_ITEM_rptr(QC_TYPES), types))
		goto out;
	if (spec->sscd && !add(sk, OID_QC_SSCD, NULL, NULL))
		goto out;
	if (spec->pds_url != NULL) {
		if ((loc = (PDS_LOCATION *)ASN1_item_new(
		    ASN1_ITEM_rptr(PDS_LOCATION))) == NULL ||
		    !ASN1_STRING_set(loc->url, spec->pds_url, -1) ||
		    !ASN1_STRING_set(loc->lang, spec->pds_lang, -1) ||
		    !sk_PDS_LOCATION_push(pds, loc))
			goto out;
		loc = NULL;
		if (!add(sk, OID_QC_PDS, ASN1_ITEM_rptr(PDS_LOCATIONS), pds))
			goto out;
	}
	if (spec->ncc > 0) {
		for (int i = 0; i < spec->ncc && i < QCS_CC_MAX; i++) {
			if ((ps = ASN1_PRINTABLESTRING_new()) == NULL ||
			    !ASN1_STRING_set(ps, spec->cc[i], -1) ||
			    !sk_ASN1_PRINTABLESTRING_push(cc, ps)) {
				ASN1_PRINTABLESTRING_free(ps);
				goto out;
			}
		}
		if (!add(sk, OID_QC_CC_LEGISLATION, ASN1_ITEM_rptr(QC_CC), cc))
			goto out;
	}
	if (spec->semantics_legal) {
		if ((sem = (SEMANTICS_INFO *)ASN1_item_new(
		    ASN1_ITEM_rptr(SEMANTICS_INFO))) == NULL ||
		    (sem->id = OBJ_txt2obj(OID_SEMANTICS_LEGAL, 1)) == NULL ||
		    !add(sk, OID_PKIX_QCSYNTAX_V2,
		    ASN1_ITEM_rptr(SEMANTICS_INFO), sem))
			goto out;
	}
	if ((*len = ASN1_item_i2d((ASN1_VALUE *)sk, der,
	    ASN1_ITEM_rptr(QC_STATEMENTS))) <= 0) {
		rc = eseal_err(ESEAL_EINTERNAL, "qcs: cannot encode");
		goto out;
	}
	rc = ESEAL_OK;
out:
	if (rc == ESEAL_ENOMEM)
		eseal_err(rc, "qcs: out of memory");
	ASN1_item_free((ASN1_VALUE *)sk, ASN1_ITEM_rptr(QC_STATEMENTS));
	sk_ASN1_OBJECT_pop_free(types, ASN1_OBJECT_free);
	sk_PDS_LOCATION_pop_free(pds, pds_free);
	sk_ASN1_PRINTABLESTRING_pop_free(cc, ASN1_PRINTABLESTRING_free);
	pds_free(loc);
	ASN1_item_free((ASN1_VALUE *)sem, ASN1_ITEM_rptr(SEMANTICS_INFO));
	ERR_clear_error();
	return rc;
}

static int
is(const ASN1_OBJECT *o, const char *oid)
{
	char buf[64];

	OBJ_obj2txt(buf, sizeof(buf), o, 1);
	return strcmp(buf, oid) == 0;
}

enum eseal_rc
qcs_decode(const unsigned char *der, long len, struct qcs_info *info)
{
	QC_STATEMENTS *sk;
	const unsigned char *p = der;
	unsigned char *re = NULL;
	enum eseal_rc rc = ESEAL_OK;

	memset(info, 0, sizeof(*info));
	sk = (QC_STATEMENTS *)ASN1_item_d2i(NULL, &p, len,
	    ASN1_ITEM_rptr(QC_STATEMENTS));
	/*
	 * OpenSSL's d2i reads BER: DER only if it encodes back to the same
	 * bytes (no indefinite or long-form lengths, no unsorted sets).
	 */
	if (sk == NULL || p != der + len || ASN1_item_i2d((ASN1_VALUE *)sk,
	    &re, ASN1_ITEM_rptr(QC_STATEMENTS)) != len ||
	    memcmp(re, der, (size_t)len) != 0) {
		rc = eseal_err(ESEAL_EINVAL, "qcs: RFC 3739 3.2.6: not a DER "
		    "QCStatements");
		goto out;
	}
	for (int i = 0; i < sk_QC_STATEMENT_num(sk); i++) {
		QC_STATEMENT *st = sk_QC_STATEMENT_value(sk, i);

		if (is(st->id, OID_QC_TYPE)) {
			QC_TYPES *t = NULL;
			const unsigned char *q;

			info->qctype_statements++;
			if (st->info != NULL && st->info->type == V_ASN1_SEQUENCE) {
				q = st->info->value.sequence->data;
				t = (QC_TYPES *)ASN1_item_d2i(NULL, &q,
				    st->info->value.sequence->length,
				    ASN1_ITEM_rptr(QC_TYPES));
			}
			if (t == NULL) {
				rc = eseal_err(ESEAL_EINVAL, "qcs: EN 319 412-5 "
				    "4.2.3: QcType without a type list");
				goto out;
			}
			for (int j = 0; j < sk_ASN1_OBJECT_num(t); j++) {
				if (is(sk_ASN1_OBJECT_value(t, j), OID_QCT_ESEAL))
					info->eseal_types++;
				else
					info->other_types++;
			}
			sk_ASN1_OBJECT_pop_free(t, ASN1_OBJECT_free);
		} else if (is(st->id, OID_QC_COMPLIANCE))
			info->compliance++;
		else if (is(st->id, OID_QC_SSCD))
			info->sscd++;
		else if (is(st->id, OID_QC_PDS))
			info->pds++;
		else if (is(st->id, OID_QC_CC_LEGISLATION))
			info->cc++;
		else if (is(st->id, OID_PKIX_QCSYNTAX_V2))
			info->semantics_legal++;
		else
			info->unknown++;
	}
out:
	OPENSSL_free(re);
	ASN1_item_free((ASN1_VALUE *)sk, ASN1_ITEM_rptr(QC_STATEMENTS));
	ERR_clear_error();
	return rc;
}
