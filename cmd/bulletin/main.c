#include <stdio.h>
int main(void) { puts("bulletin " BULLETIN_VERSION); return 0; }
