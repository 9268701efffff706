/* placeholder */ typedef int config_placeholder;
