/*
 * qcs.h: the qcStatements extension (RFC 3739, ETSI EN 319 412-5) of an
 * e-seal certificate, encoded and decoded with OpenSSL's ASN.1 templates.
 * OpenSSL knows the extension's OID but not its content.
 */
#ifndef ESEAL_QCS_H
#define ESEAL_QCS_H

#include "err.h"

#define QCS_CC_MAX	8	/* countries in QcCClegislation */

/* ETSI EN 319 412-5 and RFC 3739 object identifiers. */
#define OID_QC_COMPLIANCE	"0.4.0.1862.1.1"
#define OID_QC_SSCD		"0.4.0.1862.1.4"
#define OID_QC_PDS		"0.4.0.1862.1.5"
#define OID_QC_TYPE		"0.4.0.1862.1.6"
#define OID_QCT_ESIGN		"0.4.0.1862.1.6.1"
#define OID_QCT_ESEAL		"0.4.0.1862.1.6.2"
#define OID_QCT_WEB		"0.4.0.1862.1.6.3"
#define OID_QC_CC_LEGISLATION	"0.4.0.1862.1.7"
#define OID_PKIX_QCSYNTAX_V2	"1.3.6.1.5.5.7.11.2"
#define OID_SEMANTICS_LEGAL	"0.4.0.194121.1.2"
#define OID_QCP_L		"0.4.0.194112.1.1"
#define OID_QCP_L_QSCD		"0.4.0.194112.1.3"

/* What to put in the extension.  QcType = eseal is always there, once. */
struct qcs_spec {
	int		 compliance;	/* QcCompliance */
	int		 sscd;		/* QcSSCD */
	const char	*pds_url;	/* QcPDS: https URL, or NULL */
	const char	*pds_lang;	/* its ISO 639-1 language, "en" */
	const char	*cc[QCS_CC_MAX];	/* QcCClegislation, or none */
	int		 ncc;
	int		 semantics_legal;	/* pkixQCSyntax-v2, legal person */
	/* For tests of lint only: a second QcType statement. */
	int		 test_second_qctype;
};

/* What an encoded extension holds, for lint. */
struct qcs_info {
	int	qctype_statements;	/* QcType statements */
	int	eseal_types;		/* id-etsi-qct-eseal among their types */
	int	other_types;		/* other QcType values */
	int	compliance, sscd, pds, cc, semantics_legal;
	int	unknown;		/* statements we do not know */
};

/* Encodes the extension value (DER QCStatements); *der is OPENSSL_free'd. */
enum eseal_rc	qcs_encode(const struct qcs_spec *, unsigned char **der,
		    int *len);

/* Decodes an extension value; ESEAL_EINVAL if it is not QCStatements. */
enum eseal_rc	qcs_decode(const unsigned char *der, long len,
		    struct qcs_info *);

#endif
