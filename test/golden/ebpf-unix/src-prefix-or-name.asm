    0: (bf) r6 = r1                         ; ctx
    1: (79) r8 = *(u64 *)(r6 +8)            ; ctx->unix_sk
    2: (15) if r8 == 0x0 goto pc+148        ; end of the walk
    3: (79) r7 = *(u64 *)(r6 +0)            ; ctx->meta
    4: (79) r7 = *(u64 *)(r7 +24)           ; meta->seq
    5: (7a) *(u64 *)(r10 -152) = 0          ; record = {}
    6: (7a) *(u64 *)(r10 -144) = 0
    7: (7a) *(u64 *)(r10 -136) = 0
    8: (7a) *(u64 *)(r10 -128) = 0
    9: (7a) *(u64 *)(r10 -120) = 0
   10: (7a) *(u64 *)(r10 -112) = 0
   11: (7a) *(u64 *)(r10 -104) = 0
   12: (7a) *(u64 *)(r10 -96) = 0
   13: (7a) *(u64 *)(r10 -88) = 0
   14: (7a) *(u64 *)(r10 -80) = 0
   15: (7a) *(u64 *)(r10 -72) = 0
   16: (7a) *(u64 *)(r10 -64) = 0
   17: (7a) *(u64 *)(r10 -56) = 0
   18: (7a) *(u64 *)(r10 -48) = 0
   19: (7a) *(u64 *)(r10 -40) = 0
   20: (7a) *(u64 *)(r10 -32) = 0
   21: (7a) *(u64 *)(r10 -24) = 0
   22: (7a) *(u64 *)(r10 -16) = 0
   23: (7a) *(u64 *)(r10 -8) = 0
   24: (69) r1 = *(u16 *)(r8 +32)           ; skc_family
   25: (73) *(u8 *)(r10 -152) = r1
   26: (71) r3 = *(u8 *)(r8 +40)            ; skc_state
   27: (73) *(u8 *)(r10 -151) = r3
   28: (69) r4 = *(u16 *)(r8 +48)           ; sk_type
   29: (6b) *(u16 *)(r10 -150) = r4
   30: (71) r1 = *(u8 *)(r8 +56)            ; sk_shutdown
   31: (73) *(u8 *)(r10 -145) = r1
   32: (61) r1 = *(u32 *)(r6 +16)           ; ctx->uid
   33: (63) *(u32 *)(r10 -128) = r1
   34: (79) r1 = *(u64 *)(r8 +64)           ; sk_ino
   35: (15) if r1 == 0x0 goto pc+115        ; no inode: unix_diag skips it
   36: (63) *(u32 *)(r10 -144) = r1
   37: (bf) r1 = r8
   38: (85) call bpf_get_socket_cookie#303
   39: (7b) *(u64 *)(r10 -120) = r0
   40: (79) r1 = *(u64 *)(r8 +128)          ; unix_peer(sk)
   41: (15) if r1 == 0x0 goto pc+3
   42: (72) *(u8 *)(r10 -147) = 1
   43: (79) r1 = *(u64 *)(r1 +136)          ; peer->sk_ino
   44: (63) *(u32 *)(r10 -140) = r1
   45: (79) r9 = *(u64 *)(r8 +120)          ; unix_sk(sk)->addr
   46: (15) if r9 == 0x0 goto pc+13
   47: (72) *(u8 *)(r10 -148) = 1
   48: (61) r2 = *(u32 *)(r9 +144)          ; addr->len
   49: (b5) if r2 <= 0x6e goto pc+1
   50: (b7) r2 = 110
   51: (35) if r2 >= 0x2 goto pc+1
   52: (b7) r2 = 2
   53: (17) r2 -= 2
   54: (73) *(u8 *)(r10 -146) = r2
   55: (bf) r1 = r10
   56: (07) r1 += -112
   57: (bf) r3 = r9
   58: (07) r3 += 154
   59: (85) call bpf_probe_read_kernel#302  ; record.name = sun_path
   60: (71) r3 = *(u8 *)(r10 -151)          ; record.state
   61: (55) if r3 != 0xa goto pc+5
   62: (61) r1 = *(u32 *)(r8 +88)           ; sk_receive_queue.qlen
   63: (63) *(u32 *)(r10 -136) = r1
   64: (61) r1 = *(u32 *)(r8 +80)           ; sk_max_ack_backlog
   65: (63) *(u32 *)(r10 -132) = r1
   66: (05) goto pc+26
   67: (61) r1 = *(u32 *)(r8 +104)          ; sk_wmem_alloc
   68: (14) w1 -= 1
   69: (63) *(u32 *)(r10 -132) = r1
   70: (69) r4 = *(u16 *)(r10 -150)         ; record.type
   71: (55) if r4 != 0x1 goto pc+3
   72: (61) r1 = *(u32 *)(r8 +112)          ; inq_len
   73: (63) *(u32 *)(r10 -136) = r1
   74: (05) goto pc+18
   75: (61) r2 = *(u32 *)(r8 +88)           ; sk_receive_queue.qlen
   76: (15) if r2 == 0x0 goto pc+16         ; nothing queued
   77: (79) r1 = *(u64 *)(r8 +96)           ; sk_receive_queue.next
   78: (55) if r4 != 0x2 goto pc+3
   79: (61) r1 = *(u32 *)(r1 +176)          ; skb->len
   80: (63) *(u32 *)(r10 -136) = r1
   81: (05) goto pc+11
   82: (b7) r3 = 0
   83: (b7) r4 = 256
   84: (61) r5 = *(u32 *)(r1 +176)          ; skb->len
   85: (0c) w3 += w5
   86: (17) r2 -= 1
   87: (15) if r2 == 0x0 goto pc+4
   88: (17) r4 -= 1
   89: (15) if r4 == 0x0 goto pc+2
   90: (79) r1 = *(u64 *)(r1 +168)          ; skb->next
   91: (55) if r1 != 0x0 goto pc-8
   92: (63) *(u32 *)(r10 -136) = r3
   93: (71) r1 = *(u8 *)(r10 -148)          ; record.named  src /RUN/*
   94: (15) if r1 == 0x0 goto pc+15         ; src /RUN/*
   95: (71) r2 = *(u8 *)(r10 -146)          ; record.name_len  src /RUN/*
   96: (a5) if r2 < 0x5 goto pc+13          ; shorter than the pattern  src /RUN/*
   97: (71) r1 = *(u8 *)(r10 -112)          ; record.name[0]  src /RUN/*
   98: (55) if r1 != 0x2f goto pc+11        ; src /RUN/*
   99: (71) r1 = *(u8 *)(r10 -111)          ; record.name[1]  src /RUN/*
  100: (15) if r1 == 0x72 goto pc+1         ; src /RUN/*
  101: (55) if r1 != 0x52 goto pc+8         ; src /RUN/*
  102: (71) r1 = *(u8 *)(r10 -110)          ; record.name[2]  src /RUN/*
  103: (15) if r1 == 0x75 goto pc+1         ; src /RUN/*
  104: (55) if r1 != 0x55 goto pc+5         ; src /RUN/*
  105: (71) r1 = *(u8 *)(r10 -109)          ; record.name[3]  src /RUN/*
  106: (15) if r1 == 0x6e goto pc+1         ; src /RUN/*
  107: (55) if r1 != 0x4e goto pc+2         ; src /RUN/*
  108: (71) r1 = *(u8 *)(r10 -108)          ; record.name[4]  src /RUN/*
  109: (15) if r1 == 0x2f goto pc+33        ; src /RUN/*
  110: (71) r1 = *(u8 *)(r10 -148)          ; record.named  src @in@ner
  111: (15) if r1 == 0x0 goto pc+39         ; src @in@ner
  112: (71) r2 = *(u8 *)(r10 -146)          ; record.name_len  src @in@ner
  113: (a5) if r2 < 0x7 goto pc+37          ; shorter than the pattern  src @in@ner
  114: (71) r1 = *(u8 *)(r10 -112)          ; record.name[0]  src @in@ner
  115: (15) if r1 == 0x40 goto pc+1         ; src @in@ner
  116: (55) if r1 != 0x0 goto pc+34         ; src @in@ner
  117: (71) r1 = *(u8 *)(r10 -111)          ; record.name[1]  src @in@ner
  118: (15) if r1 == 0x69 goto pc+1         ; src @in@ner
  119: (55) if r1 != 0x49 goto pc+31        ; src @in@ner
  120: (71) r1 = *(u8 *)(r10 -110)          ; record.name[2]  src @in@ner
  121: (15) if r1 == 0x6e goto pc+1         ; src @in@ner
  122: (55) if r1 != 0x4e goto pc+28        ; src @in@ner
  123: (71) r1 = *(u8 *)(r10 -109)          ; record.name[3]  src @in@ner
  124: (15) if r1 == 0x40 goto pc+3         ; src @in@ner
  125: (55) if r1 != 0x0 goto pc+25         ; src @in@ner
  126: (71) r1 = *(u8 *)(r10 -112)          ; record.name[0]  src @in@ner
  127: (55) if r1 != 0x0 goto pc+23         ; src @in@ner
  128: (71) r1 = *(u8 *)(r10 -108)          ; record.name[4]  src @in@ner
  129: (15) if r1 == 0x6e goto pc+1         ; src @in@ner
  130: (55) if r1 != 0x4e goto pc+20        ; src @in@ner
  131: (71) r1 = *(u8 *)(r10 -107)          ; record.name[5]  src @in@ner
  132: (15) if r1 == 0x65 goto pc+1         ; src @in@ner
  133: (55) if r1 != 0x45 goto pc+17        ; src @in@ner
  134: (71) r1 = *(u8 *)(r10 -106)          ; record.name[6]  src @in@ner
  135: (15) if r1 == 0x72 goto pc+1         ; src @in@ner
  136: (55) if r1 != 0x52 goto pc+14        ; src @in@ner
  137: (71) r2 = *(u8 *)(r10 -146)          ; record.name_len  src @in@ner
  138: (15) if r2 == 0x7 goto pc+4          ; src @in@ner
  139: (71) r1 = *(u8 *)(r10 -112)          ; record.name[0]  src @in@ner
  140: (15) if r1 == 0x0 goto pc+10         ; abstract: longer  src @in@ner
  141: (71) r1 = *(u8 *)(r10 -105)          ; record.name[7]  src @in@ner
  142: (55) if r1 != 0x0 goto pc+8          ; src @in@ner
  143: (bf) r1 = r7
  144: (bf) r2 = r10
  145: (07) r2 += -152
  146: (71) r3 = *(u8 *)(r10 -146)          ; record.name_len
  147: (b5) if r3 <= 0x6c goto pc+1         ; bound for the verifier
  148: (b7) r3 = 108
  149: (07) r3 += 40
  150: (85) call bpf_seq_write#301          ; write the record
  151: (b4) w0 = 0
  152: (95) exit
