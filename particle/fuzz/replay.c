// SPDX-License-Identifier: GPL-2.0
/*
 * main() for a harness without libFuzzer: runs each file named on the
 * command line through LLVMFuzzerTestOneInput() once.  Built with the
 * ordinary compiler against the ordinary build (testsuite/fuzz.bats), so
 * the regression inputs are replayed by every "make check".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	int i;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t n;

		if (!f) {
			perror(argv[i]);
			return 2;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		fprintf(stderr, "replay: %s\n", argv[i]);
		LLVMFuzzerTestOneInput(buf, n);
	}
	return 0;
}
