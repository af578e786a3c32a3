/* Guards shared by the sandbox's filter languages (Logging's =~, Compute's eq/ne)
 * before a user's pattern reaches glibc's regcomp. */
#ifndef SB_SAFE_REGEX_H
#define SB_SAFE_REGEX_H

#define SB_RE_MAX_LEN 1024
#define SB_RE_MAX_REPEAT 1000

/* NULL when re is safe to compile, else a short reason it is refused: longer than
 * SB_RE_MAX_LEN, a repetition of a repetition, or counts over SB_RE_MAX_REPEAT. */
const char *sb_re_refusal(const char *re);

#endif
