// The C face on libfasttext (see fasttext_shim.h): the only C++ in crowdloop.
#include "ml/fasttext_shim.h"

#include <fasttext/args.h>
#include <fasttext/fasttext.h>

#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

struct ml_fasttext {
	fasttext::FastText ft;
};

static void say(char *why, size_t size, const char *what)
{
	if (why && size)
		std::snprintf(why, size, "fastText: %s", what);
}

extern "C" int ml_fasttext_train(const char *input, const char *model_path,
				 const ml_fasttext_args *a, char *why, size_t size)
{
	try {
		fasttext::Args args;
		args.input = input;
		args.model = fasttext::model_name::sup;
		args.loss = a->one_vs_all ? fasttext::loss_name::ova : fasttext::loss_name::softmax;
		args.epoch = a->epoch;
		args.lr = a->lr;
		args.dim = a->dim;
		args.wordNgrams = a->word_ngrams;
		args.bucket = a->word_ngrams > 1 ? a->bucket : 0;
		args.minCount = a->min_count;
		args.minn = 0;
		args.maxn = 0;
		args.thread = a->threads;
		args.verbose = 0;
		fasttext::FastText ft;
		ft.train(args);
		ft.saveModel(model_path);
		return 0;
	} catch (const std::exception &e) {
		say(why, size, e.what());
	} catch (...) {
		say(why, size, "training failed");
	}
	return -1;
}

extern "C" ml_fasttext *ml_fasttext_load(const char *path, char *why, size_t size)
{
	ml_fasttext *m = nullptr;
	try {
		m = new ml_fasttext;
		m->ft.loadModel(path);
		return m;
	} catch (const std::exception &e) {
		say(why, size, e.what());
	} catch (...) {
		say(why, size, "the model cannot be loaded");
	}
	delete m;
	return nullptr;
}

extern "C" int ml_fasttext_predict(const ml_fasttext *m, const char *text, double threshold,
				   ml_fasttext_label *out, int max)
{
	try {
		std::istringstream in(std::string(text) + "\n");
		std::vector<std::pair<fasttext::real, std::string>> got;
		m->ft.predictLine(in, got, max, (fasttext::real)threshold);
		int n = 0;
		for (const auto &p : got) {
			if (n >= max)
				break;
			std::snprintf(out[n].label, sizeof out[n].label, "%s", p.second.c_str());
			out[n++].p = p.first;
		}
		return n;
	} catch (...) {
		return -1;
	}
}

extern "C" int ml_fasttext_labels(const ml_fasttext *m)
{
	try {
		return m->ft.getDictionary()->nlabels();
	} catch (...) {
		return 0;
	}
}

extern "C" void ml_fasttext_free(ml_fasttext *m) { delete m; }
