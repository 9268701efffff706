/*
 * `meshgate run`: the gateway daemon's main loop. Today it brings up the
 * radio (hci, uart or the simulator), receives mesh advertising, and logs
 * what it hears; the MQTT bridge and web API attach here in later work.
 */
#ifndef GATEWAY_RUN_H
#define GATEWAY_RUN_H

int run_main(int argc, char **argv);
/* `meshgate provision UUID`: the daemon with one job (see run.c). */
int provision_main(int argc, char **argv);

#endif
