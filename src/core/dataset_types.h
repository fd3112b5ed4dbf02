/* A dataset version's splits and their ratios, as plain types: the store writes them,
 * core/dataset.h holds the rules over them. */
#ifndef CROWDLOOP_CORE_DATASET_TYPES_H
#define CROWDLOOP_CORE_DATASET_TYPES_H

typedef enum dataset_split {
	SPLIT_TRAIN,
	SPLIT_VALIDATION,
	SPLIT_TEST,
	SPLIT_COUNT,
} dataset_split;

/* The fractions of items in each split; they sum to 1 (within 1e-9). */
typedef struct dataset_ratios {
	double train, validation, test;
} dataset_ratios;

#endif
