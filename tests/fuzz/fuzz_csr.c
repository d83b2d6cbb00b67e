/* fuzz_csr.c: csr_parse on arbitrary bytes must refuse or accept, never crash. */
#include <stdint.h>
#include <stddef.h>

#include "csr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csr *c = NULL;

	if (csr_parse(data, size, &c) == ESEAL_OK)
		csr_free(c);
	return 0;
}
