// A generated stand-in for Tiny Shakespeare: scenes of speeches, each a speaker's name in capitals and a colon,
// then verse-like lines built from word lists and small grammar templates. It gives a character model real
// structure to learn (spelling, capitals, punctuation, the speaker/line/blank-line layout) when offline.
#include "app/builtin_corpus.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Changing the seed, a word list or a template changes every byte; the pinned hash in tests/test_data.c
// exists to make such a change deliberate.
#define BUILTIN_SEED 0x6d656d73636f7065ULL  // "memscope"
#define TARGET_BYTES 1100000
#define SENTENCE_MAX 1024

#define COUNT(list) (sizeof(list) / sizeof((list)[0]))
#define PICK(rng, list) ((list)[rng_below((rng), COUNT(list))])

// ---------------------------------------------------------------------------------------------------------
// Word lists

static const char *const speakers[] = {
    "KING OSWALD", "QUEEN ELINOR", "DUKE OF ARDEN", "LORD BERTRAM", "LADY CELESTE", "SIR HUGH",
    "FRIAR ANSELM", "NURSE", "FIRST CITIZEN", "SECOND CITIZEN", "CAPTAIN", "MESSENGER",
    "GAOLER", "VALERIO", "CORDELLA", "BENEDIX", "ISABETTA", "TYBALDO",
    "LUCIAN", "PRINCE HAL", "DUCHESS OF KENT", "SERVANT", "HERALD", "MARGERY",
};

static const char *const determiners[] = {
    "the", "the", "my", "thy", "his", "her", "our", "your", "their", "this", "that", "yon",
};

static const char *const plural_determiners[] = {
    "the", "my", "thy", "our", "your", "their", "these", "those",
};

static const char *const adjectives[] = {
    "gentle", "noble", "cruel", "sweet", "fair", "foul", "proud", "bloody", "wretched", "royal",
    "true", "false", "heavy", "bitter", "dear", "brave", "wise", "poor", "cold", "dark",
    "bright", "young", "old", "sad", "merry", "wicked", "honest", "holy", "idle", "fearful",
    "mighty", "sovereign", "tender", "rude", "grievous", "silent", "weary", "hollow", "golden", "faithless",
};

static const char *const nouns[] = {
    "heart", "crown", "sword", "night", "day", "love", "grief", "honour", "blood", "king",
    "queen", "lord", "lady", "father", "son", "daughter", "brother", "friend", "enemy", "soul",
    "tongue", "hand", "eye", "face", "gold", "war", "peace", "death", "life", "fortune",
    "heaven", "earth", "sea", "storm", "fire", "rose", "moon", "sun", "star", "grave",
    "throne", "name", "word", "oath", "truth", "mercy", "justice", "shame", "fear", "hope",
    "joy", "sorrow", "house", "city", "field", "gate", "tower", "morning", "winter", "summer",
};

static const char *const plural_nouns[] = {
    "tears", "eyes", "hands", "friends", "enemies", "stars", "gods", "words", "lords", "wounds",
    "sighs", "days", "years", "dreams", "thoughts", "soldiers", "citizens", "kings", "flowers", "bells",
};

static const char *const transitive_verbs[] = {
    "love", "hate", "kill", "seek", "keep", "find", "bear", "break", "curse", "bless",
    "follow", "fear", "serve", "trust", "betray", "save", "leave", "wear", "speak", "hear",
    "see", "know", "call", "hold", "lose", "win", "take", "give", "forget", "remember",
    "pardon", "banish", "defend", "praise", "mourn", "answer", "guard", "forsake", "prove", "honour",
};

static const char *const intransitive_verbs[] = {
    "weep", "die", "live", "sleep", "fight", "pray", "stay", "go", "fly", "rest",
    "yield", "kneel", "rise", "fall", "wake", "sing", "wait", "return",
};

static const char *const adverbs[] = {
    "gently", "truly", "boldly", "straight", "anon", "soon", "here", "now", "yet", "still",
    "ever", "never", "well", "hence", "tonight", "alone",
};

static const char *const addresses[] = {
    "my lord", "my liege", "good madam", "sweet cousin", "noble sir", "fair lady",
    "good friend", "my gracious lord", "uncle", "brother", "sister", "good father",
};

static const char *const interjections[] = {
    "O", "Ay", "Nay", "Alas", "Marry", "Fie", "Peace", "Come", "Why", "Hark", "What", "Well",
};

static const char *const subjects_with_modal[] = {
    "I will", "I shall", "I must", "I would", "I dare not", "we will", "we shall", "thou shalt",
    "thou must", "you shall", "he will", "she would", "they shall", "none shall", "I may", "I cannot",
};

static const char *const copulas[] = {
    "is", "was", "shall be", "hath been", "is not", "seems", "will be", "grows",
};

static const char *const conjunctions[] = {
    ", and", ", but", "; for", ", yet", ", and so", ", or else", "; and",
};

// ---------------------------------------------------------------------------------------------------------
// Randomness: splitmix64, fixed seed, so the text is the same on every machine and every run.

typedef struct {
    uint64_t state;
} Rng;

static uint64_t rng_next(Rng *rng) {
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// The slight modulo bias does not matter: only determinism and variety do.
static size_t rng_below(Rng *rng, size_t n) {
    return (size_t)(rng_next(rng) % n);
}

static int rng_chance(Rng *rng, int percent) {
    return (int)rng_below(rng, 100) < percent;
}

// ---------------------------------------------------------------------------------------------------------
// Sentences: words joined by spaces; punctuation attaches to the word before it.

typedef struct {
    char text[SENTENCE_MAX];
    size_t len;
} Sentence;

static void attach(Sentence *s, const char *text) {
    size_t n = strlen(text);
    if (s->len + n >= SENTENCE_MAX) return;  // unreachable with these templates; keeps the buffer safe
    memcpy(s->text + s->len, text, n + 1);
    s->len += n;
}

static void say(Sentence *s, const char *word) {
    if (s->len > 0) attach(s, " ");
    attach(s, word);
}

static void noun_phrase(Rng *rng, Sentence *s) {
    say(s, PICK(rng, determiners));
    if (rng_chance(rng, 50)) say(s, PICK(rng, adjectives));
    say(s, PICK(rng, nouns));
    if (rng_chance(rng, 20)) {
        say(s, "of");
        say(s, PICK(rng, determiners));
        say(s, PICK(rng, nouns));
    }
}

static void clause_resolve(Rng *rng, Sentence *s) {
    say(s, PICK(rng, subjects_with_modal));
    say(s, PICK(rng, transitive_verbs));
    noun_phrase(rng, s);
    if (rng_chance(rng, 25)) say(s, PICK(rng, adverbs));
}

static void clause_describe(Rng *rng, Sentence *s) {
    noun_phrase(rng, s);
    say(s, PICK(rng, copulas));
    say(s, PICK(rng, adjectives));
}

static void clause_plural(Rng *rng, Sentence *s) {
    if (rng_chance(rng, 50)) say(s, PICK(rng, plural_determiners));
    say(s, PICK(rng, plural_nouns));
    say(s, PICK(rng, intransitive_verbs));
    if (rng_chance(rng, 50)) {
        say(s, rng_chance(rng, 50) ? "in" : "for");
        noun_phrase(rng, s);
    }
}

static void clause_let(Rng *rng, Sentence *s) {
    static const char *const whom[] = {"let us", "let me", "let him", "let them", "let her"};
    say(s, PICK(rng, whom));
    if (rng_chance(rng, 50)) {
        say(s, PICK(rng, intransitive_verbs));
        say(s, PICK(rng, adverbs));
    } else {
        say(s, PICK(rng, transitive_verbs));
        noun_phrase(rng, s);
    }
}

static void clause_compare(Rng *rng, Sentence *s) {
    noun_phrase(rng, s);
    say(s, "is more");
    say(s, PICK(rng, adjectives));
    say(s, "than");
    noun_phrase(rng, s);
}

static void clause_thee(Rng *rng, Sentence *s) {
    say(s, "I");
    say(s, PICK(rng, transitive_verbs));
    say(s, rng_chance(rng, 30) ? "thee not" : "thee");
}

typedef void (*ClauseFn)(Rng *, Sentence *);
static const ClauseFn clauses[] = {
    clause_resolve, clause_resolve, clause_describe, clause_plural, clause_let, clause_compare, clause_thee,
};

static void statement(Rng *rng, Sentence *s) {
    PICK(rng, clauses)(rng, s);
    if (rng_chance(rng, 35)) {
        attach(s, PICK(rng, conjunctions));
        PICK(rng, clauses)(rng, s);
    }
    attach(s, rng_chance(rng, 15) ? "!" : ".");
}

static void question(Rng *rng, Sentence *s) {
    static const char *const openings[] = {"wilt thou", "shall we", "dost thou", "canst thou", "wouldst thou"};
    switch (rng_below(rng, 4)) {
    case 0:
        say(s, PICK(rng, openings));
        say(s, PICK(rng, transitive_verbs));
        noun_phrase(rng, s);
        break;
    case 1:
        say(s, "what");
        say(s, PICK(rng, nouns));
        say(s, "is this");
        break;
    case 2:
        say(s, "why dost thou");
        say(s, PICK(rng, intransitive_verbs));
        break;
    default:
        say(s, "where is");
        noun_phrase(rng, s);
        break;
    }
    attach(s, "?");
}

static void exclamation(Rng *rng, Sentence *s) {
    say(s, "O");
    say(s, PICK(rng, adjectives));
    say(s, PICK(rng, nouns));
    attach(s, "!");
}

static void short_reply(Rng *rng, Sentence *s) {
    say(s, PICK(rng, interjections));
    attach(s, ",");
    say(s, PICK(rng, addresses));
    attach(s, ".");
}

static void vocative(Rng *rng, Sentence *s) {
    say(s, PICK(rng, interjections));
    attach(s, ",");
    say(s, PICK(rng, addresses));
    attach(s, ",");
}

static void sentence(Rng *rng, Sentence *s) {
    s->len = 0;
    s->text[0] = '\0';
    int kind = (int)rng_below(rng, 100);
    if (kind < 12) vocative(rng, s);
    if (kind < 62) statement(rng, s);
    else if (kind < 80) question(rng, s);
    else if (kind < 90) exclamation(rng, s);
    else short_reply(rng, s);
    s->text[0] = (char)toupper((unsigned char)s->text[0]);
}

// ---------------------------------------------------------------------------------------------------------
// Output: a growing byte buffer, and speeches wrapped into verse lines.

typedef struct {
    unsigned char *data;
    size_t len, cap;
    int out_of_memory;
} TextBuf;

static void put_bytes(TextBuf *t, const char *bytes, size_t n) {
    if (t->out_of_memory) return;
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : TARGET_BYTES + TARGET_BYTES / 8;
        while (cap < t->len + n) cap *= 2;
        unsigned char *grown = realloc(t->data, cap);
        if (!grown) {
            t->out_of_memory = 1;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, bytes, n);
    t->len += n;
}

static void put_str(TextBuf *t, const char *s) {
    put_bytes(t, s, strlen(s));
}

typedef struct {
    size_t width;   // lines break before a word that would pass this column
    size_t column;  // characters already on the current line
} Verse;

// Writes one word; a verse line starts with a capital, as in the printed plays.
static void put_word(TextBuf *t, Verse *v, const char *word, size_t n) {
    if (v->column > 0 && v->column + 1 + n > v->width) {
        put_str(t, "\n");
        v->column = 0;
    }
    if (v->column > 0) {
        put_str(t, " ");
        v->column++;
    }
    char first = v->column == 0 ? (char)toupper((unsigned char)word[0]) : word[0];
    put_bytes(t, &first, 1);
    put_bytes(t, word + 1, n - 1);
    v->column += n;
}

static void put_sentence(TextBuf *t, Verse *v, const Sentence *s) {
    const char *p = s->text;
    while (*p) {
        size_t n = strcspn(p, " ");
        if (n > 0) put_word(t, v, p, n);
        p += n;
        while (*p == ' ') p++;
    }
}

static void write_speech(Rng *rng, TextBuf *t, const char *speaker) {
    put_str(t, speaker);
    put_str(t, ":\n");
    Verse verse = {.width = 30 + rng_below(rng, 24), .column = 0};
    // Mostly short speeches, now and then a long one, as in a real scene.
    size_t n_sentences = 1 + rng_below(rng, 3) + (rng_chance(rng, 20) ? rng_below(rng, 6) : 0);
    Sentence s;
    for (size_t i = 0; i < n_sentences; i++) {
        sentence(rng, &s);
        put_sentence(t, &verse, &s);
    }
    put_str(t, "\n\n");
}

// A scene: a small cast taking turns, never the same speaker twice in a row.
static void write_scene(Rng *rng, TextBuf *t) {
    const char *cast[4];
    size_t cast_size = 2 + rng_below(rng, 3);
    for (size_t i = 0; i < cast_size; i++) {
        int repeated;
        do {
            cast[i] = PICK(rng, speakers);
            repeated = 0;
            for (size_t j = 0; j < i; j++) repeated |= cast[j] == cast[i];
        } while (repeated);
    }
    size_t n_speeches = 4 + rng_below(rng, 11);
    size_t previous = cast_size;
    for (size_t i = 0; i < n_speeches; i++) {
        size_t who = rng_below(rng, cast_size);
        if (who == previous) who = (who + 1) % cast_size;
        write_speech(rng, t, cast[who]);
        previous = who;
    }
}

unsigned char *builtin_corpus_generate(size_t *n) {
    Rng rng = {BUILTIN_SEED};
    TextBuf text = {0};
    while (text.len < TARGET_BYTES && !text.out_of_memory) write_scene(&rng, &text);
    if (text.out_of_memory) {
        free(text.data);
        *n = 0;
        return NULL;
    }
    *n = text.len;
    return text.data;
}
