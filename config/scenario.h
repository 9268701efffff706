/*
 * Scenario files: the YAML description of a simulated mesh world (devices,
 * their keys and positions, radio links) read into a struct sim_scenario
 * (mesh/sim/scenario.h) for sim_world_create(). The schema is documented
 * in docs/simulator.md.
 *
 * Every problem is reported as one line in the style of Mosquitto's
 * configuration errors, naming the file, the line and column (1-based), the
 * key path and what is wrong:
 *
 *   stairway.yaml:14:12: devices.lamp-1.uuid: expected 32 hex digits (dashes allowed), got "12ab"
 *
 * Unknown and duplicate keys are errors, so a typo never passes silently.
 * Key material (NetKeys, AppKeys, device keys, static OOB values) is never
 * echoed.
 */
#ifndef CONFIG_SCENARIO_H
#define CONFIG_SCENARIO_H

#include <stddef.h>

#include "mesh/sim/scenario.h"

/* deploy/scenarios/stairway.yaml, compiled in by cmake/embed.cmake
 * (NUL-terminated; the length excludes the NUL). */
extern const char meshgate_builtin_scenario[];
extern const unsigned long meshgate_builtin_scenario_len;

/* The name the built-in scenario has in error messages. */
#define CONFIG_SCENARIO_BUILTIN_NAME "builtin:stairway.yaml"

/*
 * Parse yaml (len octets, need not be NUL-terminated) into out, which is
 * initialised here (the caller need not call sim_scenario_init()). errors
 * name the file as name_for_errors. After loading, the scenario is checked
 * with sim_scenario_check().
 *
 * Returns 0, and the caller frees out with sim_scenario_free(); or a
 * negative enum mesh_err (MESH_ERR_INVAL for any problem in the file,
 * MESH_ERR_NOMEM) with the message in err, and out left empty (freeing it
 * again is harmless).
 */
int config_scenario_load_string(const char *yaml, size_t len, const char *name_for_errors,
				struct sim_scenario *out, char *err, size_t err_len);

/* The same for a file; errors name it as path was given. MESH_ERR_IO when
 * it cannot be read ("path: cannot read: reason"). */
int config_scenario_load_file(const char *path, struct sim_scenario *out, char *err,
			      size_t err_len);

/* The built-in stairway scenario (named CONFIG_SCENARIO_BUILTIN_NAME). */
int config_scenario_load_builtin(struct sim_scenario *out, char *err, size_t err_len);

/* The SIG model ID called name in scenario files ("generic-onoff-server"),
 * or -1. */
int config_scenario_model_id(const char *name);

#endif
