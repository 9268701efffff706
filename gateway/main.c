/*
 * meshgate: entry point. Dispatches subcommands: the gateway daemon
 * (`meshgate run`), one-shot provisioning, the network database and the
 * packet tool (`meshgate pdu`).
 */
#include <stdio.h>
#include <string.h>

#include "mesh/crypto.h"
#include "network_cmd.h"
#include "pdu_tool.h"
#include "run.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
	fprintf(out,
		"usage: meshgate [run] [--config FILE] [options]\n"
		"       meshgate <command> [arguments]\n"
		"\n"
		"commands:\n"
		"  run [options]            run the gateway (the default; without --config, the\n"
		"                           demo on the simulated stairway)\n"
		"  provision UUID [options] provision one device (OOB values asked for here)\n"
		"  network show|export|import  the network database\n"
		"  pdu decode|encode|demo   decode or build Bluetooth Mesh network PDUs\n"
		"  version                  print the version\n"
		"\n"
		"Run 'meshgate run --help' or 'meshgate pdu --help' for their options.\n");
}

int main(int argc, char **argv)
{
	int rc;

	/* `meshgate` alone, or with options only, runs the gateway. */
	if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--help") != 0 &&
			 strcmp(argv[1], "--version") != 0)) {
		rc = run_main(argc, argv);
	} else if (strcmp(argv[1], "run") == 0) {
		rc = run_main(argc - 1, argv + 1);
	} else if (strcmp(argv[1], "provision") == 0) {
		rc = provision_main(argc - 1, argv + 1);
	} else if (strcmp(argv[1], "network") == 0) {
		rc = network_cmd_main(argc - 1, argv + 1);
	} else if (strcmp(argv[1], "pdu") == 0) {
		rc = pdu_tool_main(argc - 1, argv + 1);
	} else if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("meshgate %s\n", MESHGATE_VERSION);
		rc = 0;
	} else if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		rc = 0;
	} else {
		fprintf(stderr, "meshgate: unknown command '%s'\n", argv[1]);
		usage(stderr);
		rc = EXIT_USAGE;
	}
	mesh_crypto_thread_cleanup();
	return rc;
}
