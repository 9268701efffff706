/* Keeps a library target valid while its sources are globbed and may be none. */
typedef int meshgate_empty_translation_unit;
