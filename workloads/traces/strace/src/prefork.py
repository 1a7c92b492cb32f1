import os, socket
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(8); port = srv.getsockname()[1]
workers = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        while True:
            conn, _ = srv.accept()
            data = conn.recv(64)
            if data == b"stop":
                conn.close(); os._exit(0)
            conn.sendall(b"ok " + data); conn.close()
    workers.append(pid)
for i in range(3):
    c = socket.create_connection(("127.0.0.1", port)); c.sendall(b"req%d" % i); c.recv(64); c.close()
for _ in workers:
    c = socket.create_connection(("127.0.0.1", port)); c.sendall(b"stop"); c.close()
for pid in workers:
    os.waitpid(pid, 0)
