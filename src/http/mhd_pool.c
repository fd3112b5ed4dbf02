/* libmicrohttpd 0.9.75's pool reset without its zeroing. Between two requests of a kept-alive
 * connection MHD_pool_reset zeroes the whole connection pool ("technically not needed, but
 * safer", its source says): 16 KiB a request here (server.c's CONNECTION_MEMORY, which the JSON
 * 414/431 answers need), into lines the other connections' pools have long pushed out of the
 * cache. It was the labeling loop's largest cost per request above the 8 KiB pool's
 * (docs/BENCHMARKS.md). Nothing in MHD reads pool memory it did not write: a new connection's
 * pool is plain malloc'd memory, never zeroed.
 *
 * The server links libmicrohttpd.a with `-Wl,--wrap=MHD_pool_reset` (CMakeLists.txt, for
 * 0.9.75's archive only: the struct below is its memorypool.c's), so MHD's own calls land here.
 * Builds that link the shared library (unit tests, sanitizers) never call it. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* memorypool.c's struct MemoryPool in 0.9.75. */
struct MemoryPool {
	uint8_t *memory; /* the pool */
	size_t size;	 /* its size */
	size_t pos;	 /* the first free byte from the start */
	size_t end;	 /* the first byte allocated from the end */
	bool is_mmap;
};

/* 0.9.75's ROUND_TO_ALIGN: 16 bytes on x86-64. */
#define POOL_ALIGN 16

void *__wrap_MHD_pool_reset(struct MemoryPool *pool, void *keep, size_t copy_bytes,
			    size_t new_size);

/* What MHD_pool_reset does, less the memset: keeps `copy_bytes` of `keep` at the pool's start
 * and frees the rest, with `new_size` bytes allocated from the start. */
void *__wrap_MHD_pool_reset(struct MemoryPool *pool, void *keep, size_t copy_bytes, size_t new_size)
{
	if (keep && copy_bytes && keep != pool->memory)
		memmove(pool->memory, keep, copy_bytes);
	pool->end = pool->size;
	pool->pos = (new_size + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
	return pool->memory;
}
