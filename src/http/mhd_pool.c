/* libmicrohttpd 0.9.75's connection pool, less its zeroing. Between two requests of a
 * kept-alive connection MHD_pool_reset zeroes the whole pool ("technically not needed, but
 * safer", its source says), and MHD_pool_reallocate zeroes what a block gives up when it shrinks
 * or moves (the read buffer, once the head is read): 16 KiB and up to 8 KiB a request here
 * (server.c's CONNECTION_MEMORY, which the JSON 414/431 answers need), into lines the other
 * connections' pools have long pushed out of the cache. That zeroing was most of the labeling
 * loop's cost per request above an 8 KiB pool's (docs/BENCHMARKS.md, issue 21). Nothing in MHD
 * reads pool memory it did not write: a new connection's pool is plain malloc'd memory.
 *
 * The server links libmicrohttpd.a with `-Wl,--wrap` of both (CMakeLists.txt, for 0.9.75's
 * archive only: the struct and the steps below are its memorypool.c's), so MHD's own calls land
 * here. Builds that link the shared library (unit tests, sanitizers) never call them. */
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

/* 0.9.75's ROUND_TO_ALIGN: to twice a pointer's size. */
static size_t round_to_align(size_t n)
{
	const size_t align = 2 * sizeof(void *);
	return (n + align - 1) & ~(align - 1);
}

void *__wrap_MHD_pool_reset(struct MemoryPool *pool, void *keep, size_t copy_bytes,
			    size_t new_size);
void *__wrap_MHD_pool_reallocate(struct MemoryPool *pool, void *old, size_t old_size,
				 size_t new_size);

/* Keeps `copy_bytes` of `keep` at the pool's start and frees the rest, with `new_size` bytes
 * allocated from the start. */
void *__wrap_MHD_pool_reset(struct MemoryPool *pool, void *keep, size_t copy_bytes, size_t new_size)
{
	if (keep && copy_bytes && keep != pool->memory)
		memmove(pool->memory, keep, copy_bytes);
	pool->end = pool->size;
	pool->pos = round_to_align(new_size);
	return pool->memory;
}

/* Resizes `old` in place when it is the last block from the start (or shrinks), else moves it
 * to a new block; NULL when the pool has no room. */
void *__wrap_MHD_pool_reallocate(struct MemoryPool *pool, void *old, size_t old_size,
				 size_t new_size)
{
	if (old) {
		size_t offset = (size_t)((uint8_t *)old - pool->memory);
		bool shrinking = old_size > new_size;
		if (pool->pos == round_to_align(offset + old_size)) {
			size_t new_pos = round_to_align(offset + new_size);
			if (!shrinking && (new_pos > pool->end || new_pos < pool->pos))
				return NULL;
			pool->pos = new_pos;
			return old;
		}
		if (shrinking)
			return old;
	}
	size_t asize = round_to_align(new_size);
	if ((!asize && new_size) || asize > pool->end - pool->pos)
		return NULL;
	uint8_t *block = pool->memory + pool->pos;
	pool->pos += asize;
	if (old_size)
		memcpy(block, old, old_size);
	return block;
}
