/* husk_rename.h: gives the lib's libc-named functions husk_ names in the hosted unit test. */
/* Forced in (-include) when tests/unit/Makefile.frag compiles the src/lib sources for the unit
 * test. The test binary also links the host libc and ASan, which define (and intercept) these very
 * names; renaming keeps both sets side by side, so the test can check husk's functions against
 * the host's and the host's own code never runs husk's by accident. */
#define memcpy husk_memcpy
#define memmove husk_memmove
#define memset husk_memset
#define memcmp husk_memcmp
#define memchr husk_memchr
#define strlen husk_strlen
#define strnlen husk_strnlen
#define strcmp husk_strcmp
#define strncmp husk_strncmp
#define strchr husk_strchr
#define strrchr husk_strrchr
#define strlcpy husk_strlcpy
#define strlcat husk_strlcat
#define strdup husk_strdup
#define strndup husk_strndup
#define strtol husk_strtol
#define strtoul husk_strtoul
#define vsnprintf husk_vsnprintf
#define snprintf husk_snprintf
#define kprintf husk_kprintf
#define panic husk_panic
